#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "looplive/core/ingest_figures.hpp"
#include "looplive/core/media_types.hpp"

namespace looplive::ingest {

// Running figures about one publisher's media, for the periodic log line, the
// end-of-publish summary and the encoder diagnostics the API shows. Updated
// per packet on the session's executor, with no allocation and no lock.
class PublisherCounters {
 public:
  PublisherCounters();

  void on_publish_start();  // the publish was admitted: figures count from here
  void on_track(const core::TrackInfo& track);
  void on_packet(const core::MediaPacket& packet);
  void on_ignored_tag() { ++ignored_tags_; }
  void on_backward_timestamp() { ++backward_timestamps_; }
  void on_encoder(std::string name) { encoder_ = std::move(name); }

  // "video h264 1280x720 30.0 fps 2510 kbit/s, audio aac 48000 Hz 2 ch 128 kbit/s" over the
  // time since the previous call; closes the interval (its rates feed figures()).
  std::string interval_summary();
  // Totals since the publish started.
  std::string total_summary() const;
  // A snapshot for the figures registry.
  core::IngestFigures figures(const std::string& stream_id, const std::string& remote_address,
                              bool connected) const;

  uint64_t video_frames() const { return video_.frames; }
  uint64_t audio_frames() const { return audio_.frames; }

 private:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kKeyframeHistory = 8;
  static constexpr size_t kBitrateHistory = 12;

  struct TrackFigures {
    std::optional<core::TrackInfo> info;
    uint64_t frames = 0;
    uint64_t bytes = 0;
    uint64_t keyframes = 0;
    uint64_t interval_frames = 0;
    uint64_t interval_bytes = 0;
    double last_kbps = 0;  // of the last closed interval
    double last_fps = 0;
    // Media time against arrival time, for drift.
    int64_t first_dts = 0;
    int64_t last_dts = 0;
    Clock::time_point first_arrival;
    Clock::time_point last_arrival;
    std::optional<int64_t> last_pts;
    std::optional<int64_t> last_keyframe_dts;
    std::array<double, kKeyframeHistory> keyframe_gaps_ms{};
    size_t keyframe_gap_count = 0;  // grows without bound; the array holds the latest
  };

  std::string describe(const TrackFigures& track) const;
  static double to_ms(const TrackFigures& track, int64_t ticks);
  // How far the track's timestamps have run ahead of the wall clock.
  static std::optional<double> lead_ms(const TrackFigures& track);
  static core::IngestTrackFigures track_figures(const TrackFigures& track);
  void fill_diagnostics(core::IngestFigures& out) const;

  TrackFigures video_;
  TrackFigures audio_;
  uint64_t ignored_tags_ = 0;
  uint64_t backward_timestamps_ = 0;
  bool b_frames_ = false;
  std::string encoder_;
  std::deque<double> bitrate_history_;  // kbit/s of recent intervals, both tracks
  Clock::time_point interval_start_ = Clock::now();
  int64_t started_at_ms_ = 0;  // Unix time
};

}  // namespace looplive::ingest
