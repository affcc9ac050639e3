#include "health_report.hpp"

#include <cmath>
#include <string>

#include <spdlog/fmt/fmt.h>

namespace looplive::control_api {

using nlohmann::json;

namespace {

// Past these, viewers notice: lips out of sync, a stream falling behind, a
// picture that turns blocky whenever the scene moves.
constexpr double kMaxAvDriftMs = 500;
constexpr double kMaxClockDriftMs = 3000;
constexpr double kMaxBitrateVariation = 0.5;
constexpr double kKeyframeTolerance = 0.1;

json check(std::string_view id, std::string_view level, const std::string& message,
           std::string_view fix = {}) {
  return json{{"id", id},
              {"level", level},
              {"message", message},
              {"fix", fix.empty() ? json(nullptr) : json(fix)}};
}

std::string seconds(double ms) {
  return fmt::format("{:.1f} s", ms / 1000.0);
}

json keyframe_check(const core::IngestFigures& f, double segment_ms) {
  constexpr std::string_view kFix =
      "Set the keyframe interval to 2 s in OBS: Settings › Output › Keyframe Interval "
      "(2, not 0 or auto). With ffmpeg: -g set to twice the frame rate.";
  if (!f.keyframe_interval_ms)
    return check("keyframe_interval", "info",
                 "Not enough video has arrived yet to measure the keyframe interval.");
  const double mean = *f.keyframe_interval_ms;
  const double longest = f.max_keyframe_interval_ms.value_or(mean);
  if (longest > segment_ms * (1 + kKeyframeTolerance))
    return check("keyframe_interval", "warning",
                 "Keyframes arrive every " + seconds(mean) + " (up to " + seconds(longest) +
                     "), longer than the " + seconds(segment_ms) +
                     " segments: viewers start later and lag further behind.",
                 kFix);
  const double ratio = segment_ms / mean;
  const double nearest = std::round(ratio);
  if (nearest < 1 || std::abs(ratio - nearest) > kKeyframeTolerance * ratio)
    return check("keyframe_interval", "warning",
                 "Keyframes every " + seconds(mean) + " do not divide the " + seconds(segment_ms) +
                     " segments evenly, so segments come out uneven.",
                 kFix);
  return check(
      "keyframe_interval", "ok",
      "Keyframes every " + seconds(mean) + " fit the " + seconds(segment_ms) + " segments.");
}

json drift_check(const core::IngestFigures& f) {
  if (!f.av_drift_ms) return check("av_sync", "info", "Audio and video are needed to check sync.");
  const double drift = *f.av_drift_ms;
  if (std::abs(drift) > kMaxAvDriftMs)
    return check("av_sync", "warning",
                 "Audio and video have drifted " + seconds(std::abs(drift)) + " apart (" +
                     (drift > 0 ? "video ahead" : "audio ahead") + ").",
                 "Restart the stream. If it happens again, use one sample rate everywhere "
                 "(OBS: Settings › Audio › Sample Rate 48 kHz, and the same on the microphone).");
  return check("av_sync", "ok", "Audio and video are in sync.");
}

json pace_check(const core::IngestFigures& f) {
  if (!f.clock_drift_ms) return check("pace", "info", "Not enough media yet to check the pace.");
  const double drift = *f.clock_drift_ms;
  if (drift < -kMaxClockDriftMs)
    return check("pace", "warning",
                 "Media arrives " + seconds(-drift) +
                     " behind real time: the upload or the computer cannot keep up.",
                 "Lower the video bitrate (OBS: Settings › Output › Video Bitrate) or the "
                 "resolution (Settings › Video › Output Resolution), or use a wired connection.");
  if (drift > kMaxClockDriftMs)
    return check("pace", "warning", "Media arrives " + seconds(drift) + " faster than real time.",
                 "Send a live source at its own pace; with ffmpeg, add -re before -i.");
  return check("pace", "ok", "Media arrives in real time.");
}

json bitrate_check(const core::IngestFigures& f) {
  if (!f.bitrate_variation)
    return check("bitrate_stability", "info", "Not enough intervals yet to judge the bitrate.");
  const double variation = *f.bitrate_variation;
  if (variation > kMaxBitrateVariation)
    return check(
        "bitrate_stability", "warning",
        fmt::format("The bitrate swings by about {:.0f}% between intervals.", variation * 100),
        "Use constant bitrate: OBS: Settings › Output › Rate Control CBR. On a phone, "
        "move closer to the Wi-Fi router.");
  return check("bitrate_stability", "ok",
               fmt::format("The bitrate is steady (varies about {:.0f}%).", variation * 100));
}

void frames_checks(const core::IngestFigures& f, json& checks) {
  if (f.b_frames)
    checks.push_back(check("b_frames", "info",
                           "The encoder uses B-frames. looplive handles them; they add a "
                           "little latency.",
                           "For the lowest latency, set B-frames to 0 (OBS: Settings › Output "
                           "› x264 Options: bframes=0)."));
  if (f.repaired_timestamps > 0)
    checks.push_back(check(
        "timestamps", "warning",
        std::to_string(f.repaired_timestamps) + " timestamps went backwards and were repaired.",
        "Use a fixed frame rate (OBS: Settings › Video › Common FPS Values "
        "30) and restart the encoder."));
  if (f.dropped_frames > 0)
    checks.push_back(
        check("dropped_frames", "warning",
              std::to_string(f.dropped_frames) + " malformed or unsupported frames were dropped.",
              "Use H.264 video and AAC audio (OBS: Settings › Output › Encoder "
              "x264, Audio Encoder AAC)."));
}

std::string worst(const json& checks) {
  std::string level = "ok";
  for (const auto& c : checks) {
    if (c["level"] == "warning") return "warning";
    if (c["level"] == "info") level = "info";
  }
  return level;
}

json measured(const core::IngestFigures& f) {
  auto optional = [](const std::optional<double>& value, int decimals) {
    const double scale = std::pow(10.0, decimals);
    return value ? json(std::round(*value * scale) / scale) : json(nullptr);
  };
  return json{{"keyframeIntervalMs", optional(f.keyframe_interval_ms, 0)},
              {"maxKeyframeIntervalMs", optional(f.max_keyframe_interval_ms, 0)},
              {"bFrames", f.b_frames},
              {"avDriftMs", optional(f.av_drift_ms, 0)},
              {"clockDriftMs", optional(f.clock_drift_ms, 0)},
              {"bitrateKbps", std::round(f.bitrate_kbps)},
              {"bitrateVariation", optional(f.bitrate_variation, 3)},
              {"repairedTimestamps", f.repaired_timestamps},
              {"droppedFrames", f.dropped_frames}};
}

}  // namespace

json health_report(const db::StreamRecord& stream,
                   const std::optional<core::IngestFigures>& figures,
                   std::chrono::milliseconds segment_duration,
                   const std::optional<std::string>& ladder_trouble) {
  json report{{"streamId", stream.id},
              {"status", db::status_name(stream.status)},
              {"connected", figures && figures->connected},
              {"level", "idle"},
              {"measured", nullptr},
              {"checks", json::array()}};
  if (!figures || (!figures->video && !figures->audio)) return report;
  const auto& f = *figures;
  json checks = json::array();
  if (!f.video)
    checks.push_back(check("video", "warning", "No video is arriving.",
                           "Add a video source (OBS: Sources › + › Video Capture Device)."));
  else
    checks.push_back(keyframe_check(f, static_cast<double>(segment_duration.count())));
  if (!f.audio)
    checks.push_back(check("audio", "warning", "No audio is arriving: viewers hear nothing.",
                           "Add a microphone (OBS: Settings › Audio › Mic/Auxiliary Audio)."));
  checks.push_back(drift_check(f));
  checks.push_back(pace_check(f));
  checks.push_back(bitrate_check(f));
  frames_checks(f, checks);
  if (ladder_trouble) {
    checks.push_back(
        check("ladder", "warning",
              "The adaptive ladder stopped: " + *ladder_trouble +
                  ". Viewers get the published rendition only.",
              "Give the server more CPU, use fewer or smaller rungs (ladder.rungs) or a "
              "faster preset (ladder.preset: ultrafast); the next publish tries again."));
  }
  report["level"] = worst(checks);
  report["measured"] = measured(f);
  report["checks"] = std::move(checks);
  return report;
}

}  // namespace looplive::control_api
