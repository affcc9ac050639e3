#include "file_kind.hpp"

#include <algorithm>

namespace looplive::origin {

namespace {

std::string max_age(int64_t seconds) {
  return "public, max-age=" + std::to_string(seconds);
}

}  // namespace

std::string_view route_name(Route route) {
  switch (route) {
    case Route::playlist:
      return "playlist";
    case Route::manifest:
      return "manifest";
    case Route::init:
      return "init";
    case Route::segment:
      return "segment";
    case Route::vod:
      return "vod";
    case Route::thumbnail:
      return "thumbnail";
    case Route::health:
      return "health";
    case Route::other:
      return "other";
  }
  return "other";
}

Route live_route(std::string_view file_name) {
  if (file_name.ends_with(".m3u8")) return Route::playlist;
  if (file_name.ends_with(".mpd")) return Route::manifest;
  if (file_name.ends_with(".jpg")) return Route::thumbnail;
  // The packager names init segments init_*.mp4 and media segments *.m4s.
  if (file_name.ends_with(".mp4")) return Route::init;
  return Route::segment;
}

bool counts_as_viewing(Route route) {
  return route == Route::playlist || route == Route::manifest || route == Route::init ||
         route == Route::segment;
}

std::string_view content_type(std::string_view file_name) {
  if (file_name.ends_with(".m3u8")) return "application/vnd.apple.mpegurl";
  if (file_name.ends_with(".mpd")) return "application/dash+xml";
  if (file_name.ends_with(".jpg")) return "image/jpeg";
  // Players pick the decoder from the playlist, but some CDNs and MSE
  // debuggers look at this: audio-only segments say so.
  if (file_name.starts_with("a_") || file_name.starts_with("init_a")) return "audio/mp4";
  return "video/mp4";
}

CachePolicy::CachePolicy(std::chrono::milliseconds target_duration, uint32_t vod_max_age_s)
    // Half a segment: a CDN then serves a playlist at most that stale, which
    // still leaves players a full segment of slack before they stall.
    : live_text_(max_age(target_duration.count() / 2000)),
      immutable_("public, max-age=31536000, immutable"),
      // Thumbnails are refreshed about once a segment; a little staleness is harmless.
      thumbnail_(max_age(std::max<int64_t>(1, target_duration.count() / 1000))),
      vod_(max_age(vod_max_age_s)),
      blocking_reload_(max_age(std::max<int64_t>(1, target_duration.count() * 6 / 1000))),
      no_store_(kNoStore) {}

const std::string& CachePolicy::for_route(Route route) const {
  switch (route) {
    case Route::playlist:
    case Route::manifest:
      return live_text_;
    case Route::init:
    case Route::segment:
      return immutable_;
    case Route::thumbnail:
      return thumbnail_;
    case Route::vod:
      return vod_;
    case Route::health:
    case Route::other:
      return no_store_;
  }
  return no_store_;
}

}  // namespace looplive::origin
