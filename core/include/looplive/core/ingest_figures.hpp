#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace looplive::core {

struct IngestTrackFigures {
  std::string codec;         // "h264", "aac", ...
  std::string codec_string;  // RFC 6381, e.g. "avc1.64001f"
  uint16_t width = 0;
  uint16_t height = 0;
  double frame_rate = 0;  // measured over the last interval (video)
  uint32_t sample_rate = 0;
  uint8_t channels = 0;
  double bitrate_kbps = 0;  // over the last interval
  uint64_t frames = 0;      // since the publish started
  uint64_t bytes = 0;
};

// One publisher's figures as ingest measured them, published once per stats
// interval and when the publish ends. Times are Unix milliseconds.
struct IngestFigures {
  std::string stream_id;
  bool connected = false;  // false once the publish has ended
  std::string encoder;     // from onMetaData, when the encoder says
  std::string remote_address;
  int64_t started_at_ms = 0;
  int64_t updated_at_ms = 0;
  std::optional<IngestTrackFigures> video;
  std::optional<IngestTrackFigures> audio;
  double bitrate_kbps = 0;                     // both tracks, over the last interval
  uint64_t bytes = 0;                          // media payload since the publish started
  uint64_t dropped_frames = 0;                 // malformed or unsupported tags that were dropped
  uint64_t repaired_timestamps = 0;            // timestamps that stepped backwards
  std::optional<double> keyframe_interval_ms;  // mean over recent keyframes
  std::optional<double> max_keyframe_interval_ms;  // longest among them
  bool b_frames = false;
  // Video timestamps' lead over audio timestamps, both measured against the
  // wall clock since each track's first frame.
  std::optional<double> av_drift_ms;
  // Media time minus wall time since the first frame: an encoder clock that
  // runs slow or fast, or a network that cannot keep up.
  std::optional<double> clock_drift_ms;
  // Standard deviation over mean of the recent intervals' bitrates.
  std::optional<double> bitrate_variation;
};

// The latest figures per stream, shared between ingest (writer) and the API
// (reader). Touched once per stats interval per publisher, never per packet.
class IngestFiguresRegistry {
 public:
  void update(const IngestFigures& figures) {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = entries_.try_emplace(figures.stream_id, figures);
    const bool same_publish = !inserted && it->second.started_at_ms == figures.started_at_ms &&
                              it->second.bytes <= figures.bytes;
    total_bytes_ += same_publish ? figures.bytes - it->second.bytes : figures.bytes;
    it->second = figures;
  }

  std::optional<IngestFigures> get(const std::string& stream_id) const {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(stream_id);
    if (it == entries_.end()) return std::nullopt;
    return it->second;
  }

  std::vector<IngestFigures> connected() const {
    std::lock_guard lock(mutex_);
    std::vector<IngestFigures> out;
    for (const auto& [id, figures] : entries_)
      if (figures.connected) out.push_back(figures);
    return out;
  }

  void erase(const std::string& stream_id) {
    std::lock_guard lock(mutex_);
    entries_.erase(stream_id);
  }

  // Media bytes received from every publisher since start-up (a counter).
  uint64_t total_bytes() const {
    std::lock_guard lock(mutex_);
    return total_bytes_;
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, IngestFigures> entries_;
  uint64_t total_bytes_ = 0;
};

}  // namespace looplive::core
