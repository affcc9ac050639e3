#include "publisher_counters.hpp"

#include <algorithm>
#include <cmath>

#include <spdlog/fmt/fmt.h>

namespace looplive::ingest {

namespace {

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

PublisherCounters::PublisherCounters() : started_at_ms_(unix_ms()) {}

void PublisherCounters::on_publish_start() {
  started_at_ms_ = unix_ms();
  interval_start_ = Clock::now();
}

void PublisherCounters::on_track(const core::TrackInfo& track) {
  (track.kind == core::MediaKind::video ? video_ : audio_).info = track;
}

void PublisherCounters::on_packet(const core::MediaPacket& packet) {
  const bool video = video_.info && packet.track == video_.info->id;
  TrackFigures& track = video ? video_ : audio_;
  const auto now = Clock::now();
  if (track.frames == 0) {
    track.first_dts = packet.dts;
    track.first_arrival = now;
  }
  track.last_dts = packet.dts;
  track.last_arrival = now;
  ++track.frames;
  ++track.interval_frames;
  track.bytes += packet.payload.size();
  track.interval_bytes += packet.payload.size();
  if (!video) return;
  // A frame presented before the one decoded ahead of it is a B-frame.
  if (track.last_pts && packet.pts < *track.last_pts) b_frames_ = true;
  track.last_pts = packet.pts;
  if (!packet.keyframe) return;
  ++track.keyframes;
  if (track.last_keyframe_dts && packet.dts > *track.last_keyframe_dts) {
    track.keyframe_gaps_ms[track.keyframe_gap_count % kKeyframeHistory] =
        to_ms(track, packet.dts - *track.last_keyframe_dts);
    ++track.keyframe_gap_count;
  }
  track.last_keyframe_dts = packet.dts;
}

double PublisherCounters::to_ms(const TrackFigures& track, int64_t ticks) {
  const uint32_t timescale = track.info && track.info->timescale ? track.info->timescale : 1000;
  return static_cast<double>(ticks) * 1000.0 / timescale;
}

std::string PublisherCounters::describe(const TrackFigures& track) const {
  if (!track.info) return "";
  const core::TrackInfo& info = *track.info;
  if (info.kind == core::MediaKind::video)
    return fmt::format("video {} {}x{} {:.1f} fps {:.0f} kbit/s", core::codec_name(info.codec),
                       info.width, info.height, track.last_fps, track.last_kbps);
  return fmt::format("audio {} {} Hz {} ch {:.0f} kbit/s", core::codec_name(info.codec),
                     info.sample_rate, info.channels, track.last_kbps);
}

std::string PublisherCounters::interval_summary() {
  auto now = Clock::now();
  double seconds = std::chrono::duration<double>(now - interval_start_).count();
  for (TrackFigures* track : {&video_, &audio_}) {
    track->last_kbps = seconds > 0 ? track->interval_bytes * 8.0 / 1000.0 / seconds : 0;
    track->last_fps = seconds > 0 ? track->interval_frames / seconds : 0;
    track->interval_frames = track->interval_bytes = 0;
  }
  if (video_.frames + audio_.frames > 0) {
    bitrate_history_.push_back(video_.last_kbps + audio_.last_kbps);
    if (bitrate_history_.size() > kBitrateHistory) bitrate_history_.pop_front();
  }
  std::string video = describe(video_);
  std::string audio = describe(audio_);
  interval_start_ = now;
  if (video.empty() && audio.empty()) return "no media yet";
  if (video.empty() || audio.empty()) return video + audio;
  return video + ", " + audio;
}

std::string PublisherCounters::total_summary() const {
  return fmt::format(
      "video_frames={} video_keyframes={} video_bytes={} audio_frames={} audio_bytes={} "
      "ignored_tags={} backward_timestamps={}",
      video_.frames, video_.keyframes, video_.bytes, audio_.frames, audio_.bytes, ignored_tags_,
      backward_timestamps_);
}

std::optional<double> PublisherCounters::lead_ms(const TrackFigures& track) {
  if (track.frames < 2) return std::nullopt;
  const double media = to_ms(track, track.last_dts - track.first_dts);
  const double wall =
      std::chrono::duration<double, std::milli>(track.last_arrival - track.first_arrival).count();
  return media - wall;
}

core::IngestTrackFigures PublisherCounters::track_figures(const TrackFigures& track) {
  core::IngestTrackFigures out;
  const core::TrackInfo& info = *track.info;
  out.codec = std::string(core::codec_name(info.codec));
  out.codec_string = info.codec_string;
  out.width = info.width;
  out.height = info.height;
  out.frame_rate = track.last_fps > 0 ? track.last_fps : info.frame_rate;
  out.sample_rate = info.sample_rate;
  out.channels = info.channels;
  out.bitrate_kbps = track.last_kbps;
  out.frames = track.frames;
  out.bytes = track.bytes;
  return out;
}

void PublisherCounters::fill_diagnostics(core::IngestFigures& out) const {
  const size_t gaps = std::min(video_.keyframe_gap_count, kKeyframeHistory);
  if (gaps > 0) {
    double sum = 0, longest = 0;
    for (size_t i = 0; i < gaps; ++i) {
      sum += video_.keyframe_gaps_ms[i];
      longest = std::max(longest, video_.keyframe_gaps_ms[i]);
    }
    out.keyframe_interval_ms = sum / static_cast<double>(gaps);
    out.max_keyframe_interval_ms = longest;
  }
  out.b_frames = b_frames_;
  const auto video_lead = lead_ms(video_);
  const auto audio_lead = lead_ms(audio_);
  if (video_lead && audio_lead) out.av_drift_ms = *video_lead - *audio_lead;
  out.clock_drift_ms = video_lead ? video_lead : audio_lead;
  if (bitrate_history_.size() >= 3) {
    double mean = 0;
    for (double kbps : bitrate_history_) mean += kbps;
    mean /= static_cast<double>(bitrate_history_.size());
    if (mean > 0) {
      double variance = 0;
      for (double kbps : bitrate_history_) variance += (kbps - mean) * (kbps - mean);
      variance /= static_cast<double>(bitrate_history_.size());
      out.bitrate_variation = std::sqrt(variance) / mean;
    }
  }
}

core::IngestFigures PublisherCounters::figures(const std::string& stream_id,
                                               const std::string& remote_address,
                                               bool connected) const {
  core::IngestFigures out;
  out.stream_id = stream_id;
  out.connected = connected;
  out.encoder = encoder_;
  out.remote_address = remote_address;
  out.started_at_ms = started_at_ms_;
  out.updated_at_ms = unix_ms();
  if (video_.info) out.video = track_figures(video_);
  if (audio_.info) out.audio = track_figures(audio_);
  out.bitrate_kbps = video_.last_kbps + audio_.last_kbps;
  out.bytes = video_.bytes + audio_.bytes;
  out.dropped_frames = ignored_tags_;
  out.repaired_timestamps = backward_timestamps_;
  fill_diagnostics(out);
  return out;
}

}  // namespace looplive::ingest
