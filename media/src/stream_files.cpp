#include "looplive/media/stream_files.hpp"

#include <charconv>
#include <system_error>

namespace looplive::media::files {

namespace fs = std::filesystem;

std::string track_prefix(core::TrackKey track) {
  return (track.kind == core::MediaKind::video ? "v" : "a") +
         (track.rendition == 0 ? std::string() : std::to_string(track.rendition));
}

std::string timed_prefix(std::string_view prefix, uint64_t epoch) {
  return std::string(prefix) + "_" + std::to_string(epoch);
}

std::string init_segment(std::string_view prefix, uint64_t configuration) {
  return "init_" + std::string(prefix) +
         (configuration == 0 ? std::string() : "_" + std::to_string(configuration)) + ".mp4";
}

uint64_t init_segment_configuration(std::string_view name) {
  uint64_t n = 0;
  const size_t underscore = name.rfind('_');
  const size_t dot = name.rfind('.');
  if (underscore != std::string_view::npos && dot != std::string_view::npos && underscore + 1 < dot)
    std::from_chars(name.data() + underscore + 1, name.data() + dot, n);
  return n;
}

std::string segment(std::string_view prefix, uint64_t number) {
  return std::string(prefix) + "_" + std::to_string(number) + ".m4s";
}

std::string part(std::string_view prefix, uint64_t segment_number, uint32_t index) {
  return std::string(prefix) + "_" + std::to_string(segment_number) + "_p" + std::to_string(index) +
         ".m4s";
}

std::string timed_segment(std::string_view timed_prefix, int64_t start_ms) {
  return std::string(timed_prefix) + "_t" + std::to_string(start_ms) + ".m4s";
}

std::string segment_template(std::string_view prefix, bool by_time) {
  return std::string(prefix) + (by_time ? "_t$Time$.m4s" : "_$Number$.m4s");
}

std::string media_playlist(core::TrackKey track) {
  return (track.kind == core::MediaKind::video ? "video" : "audio") +
         (track.rendition == 0 ? std::string() : "_" + std::to_string(track.rendition)) + ".m3u8";
}

std::string recording_index(core::TrackKey track) {
  return "recording_" + media_playlist(track);
}

bool is_recording_index(std::string_view name) {
  return name.starts_with("recording_") && name.ends_with(".m3u8");
}

fs::path live_dir(const fs::path& media_root, std::string_view id) {
  return media_root / kLiveDir / id;
}

fs::path vods_dir(const fs::path& media_root) {
  return media_root / kVodsDir;
}

fs::path vod_job_dir(const fs::path& media_root, std::string_view job_id) {
  return vods_dir(media_root) / job_id;
}

fs::path vod_work_root(const fs::path& media_root) {
  return media_root / kVodWorkDir;
}

std::string live_path(std::string_view id, std::string_view file) {
  return std::string(kLiveDir) + "/" + std::string(id) + "/" + std::string(file);
}

std::string vod_path(std::string_view file) {
  return std::string(kVodsDir) + "/" + std::string(file);
}

std::string vod_job_path(std::string_view job_id, std::string_view file) {
  return vod_path(job_id) + "/" + std::string(file);
}

std::string vod_multivariant(std::string_view id) {
  return std::string(id) + ".m3u8";
}

std::string vod_media_playlist(std::string_view id, core::TrackKey track) {
  return std::string(id) + "_" + media_playlist(track);
}

std::string vod_manifest(std::string_view id) {
  return std::string(id) + ".mpd";
}

std::string vod_mp4(std::string_view id) {
  return std::string(id) + ".mp4";
}

std::string vod_to_live(std::string_view id) {
  return "../" + live_path(id, "");
}

bool is_vod_file_of(std::string_view name, std::string_view id) {
  if (name.starts_with('.')) name.remove_prefix(1);  // a temporary file: .<name>.tmp
  return name.starts_with(id) && name.size() > id.size() &&
         (name[id.size()] == '.' || name[id.size()] == '_');
}

core::Result<core::Ok> remove_stream(const fs::path& media_root, std::string_view id) {
  std::error_code ec;
  fs::remove_all(live_dir(media_root, id), ec);
  if (ec) return core::Error{"removing " + live_path(id, "") + ": " + ec.message()};
  const fs::path vods = vods_dir(media_root);
  if (!fs::exists(vods, ec)) return core::Ok{};
  for (const auto& entry : fs::directory_iterator(vods, ec)) {
    if (!is_vod_file_of(entry.path().filename().string(), id)) continue;
    fs::remove_all(entry.path(), ec);
    if (ec) return core::Error{"removing " + entry.path().string() + ": " + ec.message()};
  }
  if (ec) return core::Error{"listing " + vods.string() + ": " + ec.message()};
  return core::Ok{};
}

}  // namespace looplive::media::files
