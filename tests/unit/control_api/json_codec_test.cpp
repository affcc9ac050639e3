#include <catch2/catch.hpp>

#include "api_error.hpp"
#include "cursor.hpp"
#include "health_report.hpp"
#include "looplive/control_api/stream_json.hpp"

using namespace looplive;
using namespace looplive::control_api;
using nlohmann::json;

namespace {

const std::string kId = "ab546c68-9163-421e-95a3-69e091d505ee";
const PublicUrls kUrls{"rtmp://live.example.com/live", "https://video.example.com"};

db::StreamRecord stream(db::StreamStatus status, bool record) {
  db::StreamRecord s;
  s.id = kId;
  s.status = status;
  s.record = record;
  s.metadata_json = R"({"title": "Spring sale"})";
  s.created_at = "2025-10-18T06:58:01.000001Z";
  if (status != db::StreamStatus::ready) s.started_at = "2025-10-18T06:59:43.871329Z";
  if (status == db::StreamStatus::ended) s.ended_at = "2025-10-18T07:01:01.399012Z";
  return s;
}

core::IngestFigures live_figures() {
  core::IngestFigures f;
  f.stream_id = kId;
  f.connected = true;
  f.started_at_ms = 1760770783871;
  f.updated_at_ms = 1760770788871;
  f.video =
      core::IngestTrackFigures{"h264", "avc1.64001f", 1280, 720, 29.97, 0, 0, 2500, 150, 1'000'000};
  f.audio = core::IngestTrackFigures{"aac", "mp4a.40.2", 0, 0, 0, 48000, 2, 128, 234, 80'000};
  f.bitrate_kbps = 2628;
  f.bytes = 1'080'000;
  f.keyframe_interval_ms = 2000;
  f.max_keyframe_interval_ms = 2002;
  f.b_frames = true;
  f.av_drift_ms = 12;
  f.clock_drift_ms = -40;
  f.bitrate_variation = 0.1;
  return f;
}

const json* find_check(const json& report, const std::string& id) {
  for (const auto& check : report["checks"])
    if (check["id"] == id) return &check;
  return nullptr;
}

}  // namespace

TEST_CASE("the create answer has the contract's fields and URL shapes", "[control_api][json]") {
  db::CreatedStream created{stream(db::StreamStatus::ready, true), "sk_secret"};
  const json out = created_json(created, kUrls);
  CHECK(out["streamId"] == kId);
  CHECK(out["status"] == "ready");
  CHECK(out["streamKey"] == "sk_secret");
  CHECK(out["rtmpUrl"] == "rtmp://live.example.com/live");
  CHECK(out["hlsUrl"] == "https://video.example.com/live/" + kId + "/index.m3u8");
  CHECK(out["dashUrl"] == "https://video.example.com/live/" + kId + "/manifest.mpd");
  CHECK(out["createdAt"] == "2025-10-18T06:58:01.000001+00:00");
  CHECK(out["metadata"]["title"] == "Spring sale");
  CHECK(out["record"] == true);
}

TEST_CASE("a live stream shows ingest figures, viewers and recording state",
          "[control_api][json]") {
  core::ViewerFigures viewers{3, 5, 9, std::nullopt};
  const json out =
      stream_json(stream(db::StreamStatus::live, true), kUrls, live_figures(), viewers);
  CHECK(out["status"] == "live");
  CHECK(out["startedAt"] == "2025-10-18T06:59:43.871329+00:00");
  CHECK(out["endedAt"].is_null());
  CHECK_FALSE(out.contains("streamKey"));  // only creation and rotation carry the key
  CHECK(out["ingest"]["connected"] == true);
  CHECK(out["ingest"]["video"]["codec"] == "h264");
  CHECK(out["ingest"]["video"]["width"] == 1280);
  CHECK(out["ingest"]["video"]["frameRate"] == Approx(29.97));
  CHECK(out["ingest"]["audio"]["sampleRate"] == 48000);
  CHECK(out["ingest"]["bitrateKbps"] == Approx(2628));
  CHECK(out["ingest"]["startedAt"] == "2025-10-18T06:59:43.871000+00:00");
  CHECK(out["viewers"] ==
        json{{"current", 3}, {"peak", 5}, {"unique", 9}, {"averageWatchTime", nullptr}});
  CHECK(out["recording"]["state"] == "recording");
  CHECK(out["vodUrl"].is_null());
  CHECK(out["duration"].is_null());
}

TEST_CASE("an ended stream answers duration, stats and the VOD URL", "[control_api][json]") {
  auto s = stream(db::StreamStatus::ended, true);
  s.summary = db::EndSummary{77.4, 12, 40, 31.5, "vods/" + kId + ".m3u8"};
  const json out = end_json(s, kUrls);
  CHECK(out ==
        json{{"streamId", kId},
             {"status", "ended"},
             {"duration", 77},
             {"stats", {{"peakViewers", 12}, {"uniqueViewers", 40}, {"averageWatchTime", 31.5}}},
             {"vodUrl", "https://video.example.com/vods/" + kId + ".m3u8"},
             {"endedAt", "2025-10-18T07:01:01.399012+00:00"}});
  CHECK(stream_json(s, kUrls, std::nullopt, {})["recording"]["state"] == "ready");
  s.record = false;
  s.summary->vod_path.reset();
  CHECK(end_json(s, kUrls)["vodUrl"].is_null());
  CHECK(stream_json(s, kUrls, std::nullopt, {})["recording"]["state"] == "off");
}

TEST_CASE("cursors round-trip and anything else is refused", "[control_api][json]") {
  Cursor cursor{"2025-10-18T06:58:01.000001Z", kId};
  auto decoded = decode_cursor(encode_cursor(cursor));
  REQUIRE(decoded);
  CHECK(decoded->created_at == cursor.created_at);
  CHECK(decoded->id == cursor.id);
  CHECK(encode_cursor(cursor).find_first_of("+/=") == std::string::npos);
  CHECK_FALSE(decode_cursor(""));
  CHECK_FALSE(decode_cursor("!!!"));
  CHECK_FALSE(decode_cursor(encode_cursor(Cursor{"yesterday", kId})));
  CHECK_FALSE(decode_cursor(encode_cursor(Cursor{cursor.created_at, "42'; DROP TABLE streams"})));
}

TEST_CASE("health reports judge the keyframe interval against the segments",
          "[control_api][health]") {
  const auto live = stream(db::StreamStatus::live, false);
  auto f = live_figures();
  auto report = health_report(live, f, std::chrono::seconds(2));
  CHECK(report["connected"] == true);
  CHECK((*find_check(report, "keyframe_interval"))["level"] == "ok");
  CHECK((*find_check(report, "b_frames"))["level"] == "info");
  CHECK(report["level"] == "info");
  CHECK(report["measured"]["keyframeIntervalMs"] == 2000);

  f.keyframe_interval_ms = f.max_keyframe_interval_ms = 1000;  // two per segment: fine
  CHECK((*find_check(health_report(live, f, std::chrono::seconds(2)),
                     "keyframe_interval"))["level"] == "ok");

  f.keyframe_interval_ms = f.max_keyframe_interval_ms = 5000;  // longer than a segment
  report = health_report(live, f, std::chrono::seconds(2));
  const json& check = *find_check(report, "keyframe_interval");
  CHECK(check["level"] == "warning");
  CHECK(check["fix"].get<std::string>().find("Keyframe Interval") != std::string::npos);
  CHECK(report["level"] == "warning");

  f.keyframe_interval_ms = f.max_keyframe_interval_ms = 1500;  // does not divide 2 s
  CHECK((*find_check(health_report(live, f, std::chrono::seconds(2)),
                     "keyframe_interval"))["level"] == "warning");
}

TEST_CASE("health reports flag drift, unsteady bitrate and damaged input",
          "[control_api][health]") {
  const auto live = stream(db::StreamStatus::live, false);
  auto f = live_figures();
  f.av_drift_ms = 900;
  f.clock_drift_ms = -5000;
  f.bitrate_variation = 0.8;
  f.repaired_timestamps = 3;
  f.dropped_frames = 2;
  f.audio.reset();
  auto report = health_report(live, f, std::chrono::seconds(2));
  for (const char* id : {"pace", "bitrate_stability", "timestamps", "dropped_frames", "audio"}) {
    INFO(id);
    REQUIRE(find_check(report, id));
    CHECK((*find_check(report, id))["level"] == "warning");
    CHECK((*find_check(report, id))["fix"].is_string());
  }
  CHECK(report["level"] == "warning");

  auto idle =
      health_report(stream(db::StreamStatus::ready, false), std::nullopt, std::chrono::seconds(2));
  CHECK(idle["level"] == "idle");
  CHECK(idle["checks"].empty());
  CHECK(idle["connected"] == false);
}

TEST_CASE("a stream whose encoder sent bytes that are not UTF-8 still lists",
          "[control_api][json]") {
  core::IngestFigures figures = live_figures();
  figures.encoder = "enc\xFF\xFE";  // what ingest no longer lets through, should it ever
  const json out = stream_json(stream(db::StreamStatus::live, true), kUrls, figures, {});
  const http::Response response = json_response(bhttp::status::ok, out);
  CHECK(response.status == bhttp::status::ok);
  const auto& body = std::get<std::string>(response.body);
  CHECK(body.find("enc\xEF\xBF\xBD\xEF\xBF\xBD") != std::string::npos);
  CHECK(json::parse(body)["ingest"]["encoder"] == "enc\xEF\xBF\xBD\xEF\xBF\xBD");
}
