#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "looplive/core/media_types.hpp"
#include "looplive/packager/live_view.hpp"

namespace looplive::packager {

struct MediaPlaylistOptions {
  // Longest segment the track ever had: the target duration may grow but must
  // never shrink while a stream is live (RFC 8216 section 6.2.1).
  int64_t longest_segment_ms = 0;
  bool ended = false;      // EXT-X-ENDLIST
  bool vod = false;        // EXT-X-PLAYLIST-TYPE:VOD; implies ended
  std::string uri_prefix;  // put before every segment and init URI
};

// A media playlist for one track's segments, oldest first; empty text for no segments.
std::string render_media_playlist(std::span<const SegmentInfo> segments,
                                  const MediaPlaylistOptions& options);

struct VariantOptions {
  const core::TrackInfo* video = nullptr;  // either or both
  const core::TrackInfo* audio = nullptr;
  uint64_t peak_bandwidth = 0;     // bits per second, all tracks together
  uint64_t average_bandwidth = 0;  // bits per second, all tracks together
  std::string video_uri = "video.m3u8";
  std::string audio_uri = "audio.m3u8";
};

// The multivariant playlist: one variant, its audio as an alternative rendition.
std::string render_multivariant_playlist(const VariantOptions& options);

// Measured bit rates over a track's segments, for BANDWIDTH and AVERAGE-BANDWIDTH.
class BitrateMeter {
 public:
  void add(uint64_t bytes, int64_t duration_ms);
  uint64_t peak() const { return peak_; }
  uint64_t average() const;

 private:
  uint64_t peak_ = 0;
  uint64_t bytes_ = 0;
  int64_t duration_ms_ = 0;
};

}  // namespace looplive::packager
