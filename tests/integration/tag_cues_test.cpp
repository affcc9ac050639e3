// Product tags as a viewer's app receives them: ffmpeg publishes a show, the
// backend places tags through the API while hls.js and dash.js play it in
// headless Chromium (tests/player/tags.mjs), and each player must raise each
// tag's cue at the frame the API answered, for a viewer watching live, for one
// who joins long after a card went up, and in the replay.
#include <catch2/catch.hpp>

#include <cstdio>

#include "control_api_harness.hpp"
#include "http_client.hpp"
#include "looplive/core/utc_text.hpp"
#include "media_fixture.hpp"
#include "player_report.hpp"

using namespace looplive;
using namespace looplive::test;
using namespace std::chrono_literals;

namespace {

// One frame at 30 fps, as the issue puts it: the cue within a frame of its time.
constexpr double kFrame = 0.040;

struct Placed {
  std::string id;
  std::string product;
  std::string action;
  double media_time = 0;    // seconds
  double wall_seconds = 0;  // program date time, Unix seconds
};

class Show {
 public:
  explicit Show(ApiServer& api, const std::string& id) : api_(api), id_(id) {}

  Placed tag(const std::string& product, const std::string& action,
             nlohmann::json extra = nlohmann::json::object()) {
    extra["productId"] = product;
    extra["action"] = action;
    const auto answer = api_.call(bhttp::verb::post, "/v1/streams/" + id_ + "/tags", extra.dump());
    INFO(answer.body);
    REQUIRE(answer.status == 201);
    const auto json = answer.json();
    const auto pdt = core::parse_utc_ms(json["programDateTime"].get<std::string>());
    REQUIRE(pdt);
    return {json["id"], product, action, json["mediaTime"], static_cast<double>(*pdt) / 1000};
  }

 private:
  ApiServer& api_;
  std::string id_;
};

// Runs tags.mjs while `during` places tags; returns its report.
nlohmann::json play(const std::string& kind, const std::string& url, int seconds,
                    const std::function<void()>& during = {}, std::optional<double> start = {}) {
  std::vector<std::string> args = {kind, url, std::to_string(seconds)};
  if (start) args.push_back(std::to_string(*start));
  return run_player("tags.mjs", args, "tags-" + kind, std::chrono::seconds(seconds + 60), during);
}

// The report's first cue for a tag from one source; null when it never came.
nlohmann::json cue_of(const nlohmann::json& report, const std::string& source,
                      const std::string& id) {
  for (const auto& tag : report["tags"])
    if (tag["source"] == source && tag["id"] == id) return tag;
  return nullptr;
}

}  // namespace

TEST_CASE("hls.js and dash.js raise each tag at its frame, live, late and in the replay",
          "[integration][player][tags]") {
  const std::string media = make_scratch_dir("media");
  app::Config config = api_test_config(fresh_database("tag_cues"), media, nullptr);
  // Ten 2 s segments: the window reaches past the 12 s skip boundary, so
  // hls.js asks for delta updates that skip older date ranges and merges them.
  config.packager.live_window = 10;
  ApiServer api(config);
  const std::string origin = "http://127.0.0.1:" + std::to_string(api.server.origin_port());
  auto created = api.call(bhttp::verb::post, "/v1/streams", R"({"record": true})").json();
  const std::string id = created["streamId"];
  Process publisher({"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
                     "-stream_loop", "8", "-i", long_h264_aac_fixture().path, "-c", "copy", "-f",
                     "flv", api.publish_url(created["streamKey"])},
                    make_scratch_dir("ffmpeg") + "/out.log");
  REQUIRE(api.wait_live(id, true, 20s));
  HttpClient probe(api.server.origin_port());
  const std::string live = origin + "/live/" + id + "/";
  for (int i = 0; i < 200 && probe.get("/live/" + id + "/index.m3u8").status != 200; ++i)
    std::this_thread::sleep_for(100ms);
  Show show(api, id);
  std::vector<Placed> placed;
  const auto place_some = [&](const std::string& product) {
    std::this_thread::sleep_for(7s);  // the player is playing by then
    placed.push_back(show.tag(product, "show", {{"payload", {{"title", product}}}}));
    std::this_thread::sleep_for(2s);
    placed.push_back(show.tag(product, "update", {{"payload", {{"price", "9.99"}}}}));
    std::this_thread::sleep_for(2s);
    placed.push_back(show.tag(product, "hide"));
  };

  SECTION("live") {
    // hls.js: both carriers raise the cue where the tag's program date time
    // falls on the video's timeline.
    const auto hls = play("hls", live + "index.m3u8", 22, [&] { place_some("shoe"); });
    REQUIRE(hls.contains("pdtOffset"));
    CHECK(hls["dateRangeDeltas"].get<int>() > 0);
    const double offset = hls["pdtOffset"];
    double worst_emsg = 0, worst_daterange = 0;
    for (const Placed& tag : placed) {
      const double expected = tag.wall_seconds - offset;
      for (const char* source : {"emsg", "daterange"}) {
        const auto cue = cue_of(hls, source, tag.id);
        INFO(source << " cue of tag " << tag.id << " (" << tag.action << ")\n" << hls.dump());
        REQUIRE_FALSE(cue.is_null());
        const double error = cue["start"].get<double>() - expected;
        CHECK(std::abs(error) <= kFrame);
        double& worst = std::string(source) == "emsg" ? worst_emsg : worst_daterange;
        worst = std::max(worst, std::abs(error));
      }
    }
    std::printf("hls.js, live: emsg cue within %.1f ms, DATERANGE cue within %.1f ms of the tag\n",
                worst_emsg * 1000, worst_daterange * 1000);
    placed.clear();

    // dash.js: the event starts at the media time the API answered.
    const auto dash = play("dash", live + "manifest.mpd", 22, [&] { place_some("hat"); });
    double worst = 0, worst_late = 0;
    for (const Placed& tag : placed) {
      const auto event = cue_of(dash, "dash", tag.id);
      INFO("dash event of tag " << tag.id << " (" << tag.action << ")\n" << dash.dump());
      REQUIRE_FALSE(event.is_null());
      const double error = event["start"].get<double>() - tag.media_time;
      CHECK(std::abs(error) <= kFrame);
      worst = std::max(worst, std::abs(error));
      // dash.js starts events from a timer, a little after the playhead passes.
      const double late = event["seenVideoTime"].get<double>() - tag.media_time;
      CHECK(late >= -kFrame);
      CHECK(late <= 0.5);
      worst_late = std::max(worst_late, late);
    }
    std::printf("dash.js, live: event at %.1f ms of the tag, started %.0f ms after it played\n",
                worst * 1000, worst_late * 1000);
  }

  SECTION("a viewer joining after the card went up, and the replay") {
    std::this_thread::sleep_for(3s);
    const Placed card = show.tag("bag", "show", {{"payload", {{"title", "Tote bag"}}}});
    // 30 s, longer than the live window (ten 2 s segments): the segment the
    // card went up in is gone from every playlist and manifest.
    std::this_thread::sleep_for(30s);
    for (const std::string kind : {"hls", "dash"}) {
      const auto report = play(kind, live + (kind == "hls" ? "index.m3u8" : "manifest.mpd"), 10);
      bool seen = false;
      for (const auto& tag : report["tags"]) {
        if (tag["id"] != card.id || seen) continue;
        seen = true;
        const double after_start =
            (tag["seenAt"].get<double>() - report["playingAt"].get<double>()) / 1000;
        INFO(kind << " late joiner\n" << report.dump());
        CHECK(after_start <= 1.0);
        std::printf(
            "%s, joined 30 s after the card: it showed %.0f ms after playback started (%s)\n",
            kind.c_str(), after_start * 1000, tag["source"].get<std::string>().c_str());
      }
      INFO(kind << " late joiner\n" << report.dump());
      CHECK(seen);
    }

    // The replay: play from two seconds before the card; the cue comes at its time.
    REQUIRE(api.call(bhttp::verb::post, "/v1/streams/" + id + "/end").status == 200);
    const auto vod = play("hls", origin + "/vods/" + id + ".m3u8", 6, {}, card.media_time - 2);
    for (const char* source : {"emsg", "daterange"}) {
      const auto cue = cue_of(vod, source, card.id);
      INFO(source << " in the replay\n" << vod.dump());
      REQUIRE_FALSE(cue.is_null());
      CHECK(std::abs(cue["start"].get<double>() - card.media_time) <= kFrame);
    }
    const auto dash_vod = play("dash", origin + "/vods/" + id + ".mpd", 6, {}, card.media_time - 2);
    const auto event = cue_of(dash_vod, "dash", card.id);
    INFO("dash.js replay\n" << dash_vod.dump());
    REQUIRE_FALSE(event.is_null());
    CHECK(std::abs(event["start"].get<double>() - card.media_time) <= kFrame);
  }
  publisher.terminate();
}
