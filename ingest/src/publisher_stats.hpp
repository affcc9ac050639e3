#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "looplive/core/media_types.hpp"

namespace looplive::ingest {

// Running figures about one publisher's media, for the periodic log line and
// the end-of-publish summary. Updated per packet on the session's strand.
class PublisherStats {
 public:
  void on_track(const core::TrackInfo& track);
  void on_packet(const core::MediaPacket& packet);
  void on_ignored_tag() { ++ignored_tags_; }
  void on_backward_timestamp() { ++backward_timestamps_; }

  // "video h264 1280x720 30.0 fps 2510 kbit/s, audio aac 48000 Hz 2 ch 128 kbit/s" over the
  // time since the previous call; resets the interval counters.
  std::string interval_summary();
  // Totals since the publish started.
  std::string total_summary() const;

  uint64_t video_frames() const { return video_.frames; }
  uint64_t audio_frames() const { return audio_.frames; }

 private:
  struct TrackFigures {
    std::optional<core::TrackInfo> info;
    uint64_t frames = 0;
    uint64_t bytes = 0;
    uint64_t keyframes = 0;
    uint64_t interval_frames = 0;
    uint64_t interval_bytes = 0;
  };
  std::string describe(const TrackFigures& track, double seconds) const;

  TrackFigures video_;
  TrackFigures audio_;
  uint64_t ignored_tags_ = 0;
  uint64_t backward_timestamps_ = 0;
  std::chrono::steady_clock::time_point interval_start_ = std::chrono::steady_clock::now();
};

}  // namespace looplive::ingest
