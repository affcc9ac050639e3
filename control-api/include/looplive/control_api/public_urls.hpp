#pragma once

#include <string>

#include "looplive/control_api/config.hpp"
#include "looplive/media/stream_files.hpp"

namespace looplive::control_api {

// The URLs the backend hands to sellers and buyers, keyed by stream id (never
// by the key). Bases come from api.public_rtmp_url and api.public_playback_url.
struct PublicUrls {
  std::string rtmp;      // e.g. "rtmp://live.example.com/live"
  std::string playback;  // e.g. "https://video.example.com"

  static PublicUrls from(const control_api::ApiConfig& config) {
    return PublicUrls{config.public_rtmp_url, config.public_playback_url};
  }
  std::string hls(const std::string& id) const {
    return media(media::files::live_path(id, media::files::kMultivariantPlaylist));
  }
  std::string dash(const std::string& id) const {
    return media(media::files::live_path(id, media::files::kManifest));
  }
  // `path` is relative to the media root, as the packager reports it ("vods/<id>.m3u8").
  std::string media(const std::string& path) const { return playback + "/" + path; }
};

}  // namespace looplive::control_api
