#include "publisher_stats.hpp"

#include <spdlog/fmt/fmt.h>

namespace looplive::ingest {

void PublisherStats::on_track(const core::TrackInfo& track) {
  (track.kind == core::MediaKind::video ? video_ : audio_).info = track;
}

void PublisherStats::on_packet(const core::MediaPacket& packet) {
  TrackFigures& track = packet.track == core::kVideoTrack ? video_ : audio_;
  ++track.frames;
  ++track.interval_frames;
  track.bytes += packet.payload.size();
  track.interval_bytes += packet.payload.size();
  if (packet.keyframe) ++track.keyframes;
}

std::string PublisherStats::describe(const TrackFigures& track, double seconds) const {
  if (!track.info) return "";
  const core::TrackInfo& info = *track.info;
  double kbps = seconds > 0 ? track.interval_bytes * 8.0 / 1000.0 / seconds : 0;
  double fps = seconds > 0 ? track.interval_frames / seconds : 0;
  if (info.kind == core::MediaKind::video)
    return fmt::format("video {} {}x{} {:.1f} fps {:.0f} kbit/s", core::codec_name(info.codec),
                       info.width, info.height, fps, kbps);
  return fmt::format("audio {} {} Hz {} ch {:.0f} kbit/s", core::codec_name(info.codec),
                     info.sample_rate, info.channels, kbps);
}

std::string PublisherStats::interval_summary() {
  auto now = std::chrono::steady_clock::now();
  double seconds = std::chrono::duration<double>(now - interval_start_).count();
  std::string video = describe(video_, seconds);
  std::string audio = describe(audio_, seconds);
  interval_start_ = now;
  video_.interval_frames = video_.interval_bytes = 0;
  audio_.interval_frames = audio_.interval_bytes = 0;
  if (video.empty() && audio.empty()) return "no media yet";
  if (video.empty() || audio.empty()) return video + audio;
  return video + ", " + audio;
}

std::string PublisherStats::total_summary() const {
  return fmt::format(
      "video_frames={} video_keyframes={} video_bytes={} audio_frames={} audio_bytes={} "
      "ignored_tags={} backward_timestamps={}",
      video_.frames, video_.keyframes, video_.bytes, audio_.frames, audio_.bytes, ignored_tags_,
      backward_timestamps_);
}

}  // namespace looplive::ingest
