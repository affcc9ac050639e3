#include "looplive/control_api/stream_json.hpp"

#include "looplive/media/text_format.hpp"

#include <chrono>
#include <cmath>

namespace looplive::control_api {

using nlohmann::json;

namespace {

json optional_number(const std::optional<double>& value) {
  return value ? json(*value) : json(nullptr);
}

// Division by a power of ten gives the double closest to the decimal, so it prints short.
double rounded(double value, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

json metadata(const db::StreamRecord& stream) {
  auto parsed = json::parse(stream.metadata_json, nullptr, false);
  return parsed.is_object() ? parsed : json::object();
}

json vod_url(const db::StreamRecord& stream, const PublicUrls& urls) {
  if (!stream.record || !stream.summary || !stream.summary->vod_path) return nullptr;
  return urls.media(*stream.summary->vod_path);
}

// The stream's own ladder as it was asked for: null (the server's default),
// "off", "auto", "compatible" or its rungs.
json ladder_json(const db::StreamRecord& stream) {
  if (!stream.ladder) return nullptr;
  if (const auto mode = core::ladder_mode_text(*stream.ladder)) return std::string(*mode);
  json rungs = json::array();
  for (const core::Rung& rung : stream.ladder->rungs) rungs.push_back(core::rung_text(rung));
  return rungs;
}

std::string recording_state(const db::StreamRecord& stream) {
  if (!stream.record) return "off";
  if (stream.summary && stream.summary->recording_error) return "failed";
  if (stream.summary) return stream.summary->vod_path ? "ready" : "missing";
  if (stream.status == db::StreamStatus::ready) return "waiting";
  return stream.status == db::StreamStatus::ended ? "finalizing" : "recording";
}

json track_json(const core::IngestTrackFigures& track, bool video) {
  json out{{"codec", track.codec},
           {"codecString", track.codec_string},
           {"bitrateKbps", rounded(track.bitrate_kbps, 0)},
           {"frames", track.frames},
           {"bytes", track.bytes}};
  if (video) {
    out["width"] = track.width;
    out["height"] = track.height;
    out["frameRate"] = rounded(track.frame_rate, 2);
  } else {
    out["sampleRate"] = track.sample_rate;
    out["channels"] = track.channels;
  }
  return out;
}

}  // namespace

std::string api_time(const std::string& iso_utc) {
  if (!iso_utc.empty() && iso_utc.back() == 'Z')
    return iso_utc.substr(0, iso_utc.size() - 1) + "+00:00";
  return iso_utc;
}

json api_time(const std::optional<std::string>& iso_utc) {
  return iso_utc ? json(api_time(*iso_utc)) : json(nullptr);
}

std::string iso_now() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return media::utc_timestamp_us(
      std::chrono::duration_cast<std::chrono::microseconds>(now).count());
}

json created_json(const db::CreatedStream& created, const PublicUrls& urls) {
  const auto& stream = created.stream;
  return json{{"streamId", stream.id},           {"status", db::status_name(stream.status)},
              {"record", stream.record},         {"metadata", metadata(stream)},
              {"ladder", ladder_json(stream)},   {"rtmpUrl", urls.rtmp},
              {"streamKey", created.key},        {"hlsUrl", urls.hls(stream.id)},
              {"dashUrl", urls.dash(stream.id)}, {"createdAt", api_time(stream.created_at)}};
}

json ingest_json(const core::IngestFigures& figures) {
  return json{{"connected", figures.connected},
              {"encoder", figures.encoder.empty() ? json(nullptr) : json(figures.encoder)},
              {"startedAt", media::utc_timestamp_us(1000 * figures.started_at_ms)},
              {"updatedAt", media::utc_timestamp_us(1000 * figures.updated_at_ms)},
              {"video", figures.video ? track_json(*figures.video, true) : json(nullptr)},
              {"audio", figures.audio ? track_json(*figures.audio, false) : json(nullptr)},
              {"bitrateKbps", rounded(figures.bitrate_kbps, 0)},
              {"bytes", figures.bytes},
              {"droppedFrames", figures.dropped_frames},
              {"repairedTimestamps", figures.repaired_timestamps}};
}

json viewers_json(const core::ViewerFigures& viewers) {
  return json{{"current", viewers.current},
              {"peak", viewers.peak},
              {"unique", viewers.unique},
              {"averageWatchTime", optional_number(viewers.average_watch_seconds)}};
}

json stream_json(const db::StreamRecord& stream, const PublicUrls& urls,
                 const std::optional<core::IngestFigures>& ingest,
                 const core::ViewerFigures& viewers) {
  json out{{"streamId", stream.id},
           {"status", db::status_name(stream.status)},
           {"record", stream.record},
           {"metadata", metadata(stream)},
           {"ladder", ladder_json(stream)},
           {"rtmpUrl", urls.rtmp},
           {"hlsUrl", urls.hls(stream.id)},
           {"dashUrl", urls.dash(stream.id)},
           {"createdAt", api_time(stream.created_at)},
           {"startedAt", api_time(stream.started_at)},
           {"endedAt", api_time(stream.ended_at)},
           {"ingest", ingest ? ingest_json(*ingest) : json(nullptr)},
           {"viewers", viewers_json(viewers)},
           {"recording", {{"enabled", stream.record}, {"state", recording_state(stream)}}},
           {"vodUrl", vod_url(stream, urls)}};
  out["recording"]["vodUrl"] = out["vodUrl"];
  if (stream.summary && stream.summary->recording_error)
    out["recording"]["error"] = *stream.summary->recording_error;
  if (stream.summary) {
    const json ended = end_json(stream, urls);
    out["duration"] = ended["duration"];
    out["stats"] = ended["stats"];
  } else {
    out["duration"] = nullptr;
    out["stats"] = nullptr;
  }
  return out;
}

json end_json(const db::StreamRecord& stream, const PublicUrls& urls) {
  const db::EndSummary summary = stream.summary.value_or(db::EndSummary{});
  const double duration = summary.duration_seconds.value_or(0);
  return json{{"streamId", stream.id},
              {"status", db::status_name(stream.status)},
              {"duration", static_cast<int64_t>(std::llround(duration))},
              {"stats",
               {{"peakViewers", summary.peak_viewers},
                {"uniqueViewers", summary.unique_viewers},
                {"averageWatchTime", optional_number(summary.average_watch_seconds)}}},
              {"vodUrl", vod_url(stream, urls)},
              {"endedAt", api_time(stream.ended_at)}};
}

}  // namespace looplive::control_api
