#include "target.hpp"

#include <array>
#include <optional>
#include <vector>

#include "looplive/http/util.hpp"
#include "looplive/media/stream_files.hpp"

namespace looplive::origin {

namespace {

constexpr std::array<std::string_view, 5> kExtensions = {".m3u8", ".mpd", ".mp4", ".m4s", ".jpg"};
constexpr size_t kUuidLength = 36;
constexpr size_t kMaxNameLength = 128;

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_name_char(char c) {
  return is_alnum(c) || c == '_' || c == '.' || c == '-';
}

bool ends_with_known_extension(std::string_view name) {
  for (auto extension : kExtensions)
    if (name.size() > extension.size() && name.ends_with(extension)) return true;
  return false;
}

// Splits "/a/b/c" into {"a", "b", "c"}; nullopt for a relative path or an empty segment.
std::optional<std::vector<std::string_view>> split_segments(std::string_view path) {
  if (path.empty() || path.front() != '/') return std::nullopt;
  std::vector<std::string_view> segments;
  path.remove_prefix(1);
  while (true) {
    auto slash = path.find('/');
    std::string_view segment = path.substr(0, slash);
    if (segment.empty()) return std::nullopt;
    segments.push_back(segment);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

std::variant<Target, TargetError> vod_target(std::string_view file) {
  // vods/<id>.m3u8, vods/<id>_video.m3u8, vods/<id>.mpd, ...: the name starts with the id.
  if (!is_media_file_name(file) || file.size() <= kUuidLength) return TargetError::not_found;
  std::string_view id = file.substr(0, kUuidLength);
  if (!is_stream_id(id) || !media::files::is_vod_file_of(file, id)) return TargetError::not_found;
  return Target{Target::Area::vods, std::string(id), std::string(file)};
}

}  // namespace

bool is_stream_id(std::string_view text) {
  if (text.size() != kUuidLength) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool dash_here = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_here ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool is_media_file_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength || !is_alnum(name.front())) return false;
  for (char c : name)
    if (!is_name_char(c)) return false;
  return ends_with_known_extension(name);
}

std::variant<Target, TargetError> parse_target(std::string_view encoded_path) {
  auto decoded = http::percent_decode(encoded_path);
  if (!decoded) return TargetError::bad_request;
  auto segments = split_segments(*decoded);
  if (!segments) return TargetError::not_found;
  const auto& parts = *segments;
  if (parts.size() == 1 && parts[0] == "healthz") return Target{Target::Area::health, {}, {}};
  if (parts.size() == 1 && parts[0] == "time") return Target{Target::Area::time, {}, {}};
  if (parts.size() == 2 && parts[0] == media::files::kVodsDir) return vod_target(parts[1]);
  if (parts.size() == 3 && parts[0] == media::files::kVodsDir && is_stream_id(parts[1]) &&
      is_media_file_name(parts[2]))
    return Target{Target::Area::vod_job, std::string(parts[1]), std::string(parts[2])};
  if (parts.size() == 3 && parts[0] == media::files::kLiveDir && is_stream_id(parts[1]) &&
      is_media_file_name(parts[2]))
    return Target{Target::Area::live, std::string(parts[1]), std::string(parts[2])};
  return TargetError::not_found;
}

}  // namespace looplive::origin
