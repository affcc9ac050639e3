#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace looplive::origin {

// The routes requests are counted under.
enum class Route { playlist, manifest, init, segment, vod, thumbnail, health, other };
constexpr size_t kRouteCount = 8;
std::string_view route_name(Route route);

// What a file under live/<id>/ is to the origin.
Route live_route(std::string_view file_name);
// Only playlist, manifest and media requests mean someone is watching.
bool counts_as_viewing(Route route);

// The exact Content-Type for one of our file names (see is_media_file_name).
std::string_view content_type(std::string_view file_name);

// Cache-Control for what a route returns, given the stream's target duration.
class CachePolicy {
 public:
  CachePolicy(std::chrono::milliseconds target_duration, uint32_t vod_max_age_s);
  const std::string& for_route(Route route) const;
  // An answer to a blocking playlist reload: whenever it is served, it lists
  // the part asked for, so a CDN may keep it for six target durations.
  const std::string& for_blocking_reload() const { return blocking_reload_; }
  static constexpr std::string_view kNoStore = "no-store";
  static constexpr std::string_view kNoCache = "no-cache";

 private:
  std::string live_text_;  // playlists and the MPD
  std::string immutable_;  // init and media segments never change under their name
  std::string thumbnail_;
  std::string vod_;
  std::string blocking_reload_;
  std::string no_store_;
};

}  // namespace looplive::origin
