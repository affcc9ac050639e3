#pragma once

#include <string>
#include <string_view>
#include <variant>

namespace looplive::origin {

// What a request path names, once it is known to be safe.
struct Target {
  enum class Area { live, vods, vod_job, health, time };
  Area area = Area::health;
  std::string stream_id;  // live and vods; vod_job: the job's id
  // live: a name inside live/<id>/; vods: a name inside vods/; vod_job: inside vods/<job id>/
  std::string file;
};

enum class TargetError {
  bad_request,  // the escapes themselves are malformed
  not_found,    // anything that is not one of our files, dangerous or not
};

// Decodes the still-encoded path exactly once and accepts only the shapes we
// serve, built from [A-Za-z0-9_.-] names. Everything else, including "..",
// "%2e%2e", "%252e", backslashes, NUL, empty segments and non-ASCII bytes
// (so overlong UTF-8 too), is not_found: such a name cannot be one of ours.
std::variant<Target, TargetError> parse_target(std::string_view encoded_path);

// Lowercase canonical UUID: 8-4-4-4-12 hex digits.
bool is_stream_id(std::string_view text);
// One of the names the packager writes: [A-Za-z0-9][A-Za-z0-9_.-]* with a
// known extension.
bool is_media_file_name(std::string_view name);

}  // namespace looplive::origin
