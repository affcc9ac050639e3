// The control API against the real server: real PostgreSQL, real ffmpeg
// publishers, a real webhook receiver.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <fstream>
#include <map>
#include <thread>

#include <boost/beast/http/empty_body.hpp>

#include "control_api_harness.hpp"
#include "looplive/db/database.hpp"
#include "looplive/db/webhook_queue.hpp"
#include "looplive/packager/packager.hpp"
#include "media_fixture.hpp"
#include "slow_clients.hpp"

using namespace looplive;
using namespace looplive::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::string create_body(bool record) {
  return nlohmann::json{{"record", record}, {"metadata", {{"title", "Spring sale"}}}}.dump();
}

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

}  // namespace

TEST_CASE("a recorded show from creation to deletion", "[integration][control_api]") {
  WebhookReceiver hooks;
  const std::string media = make_scratch_dir("media");
  ApiServer api(api_test_config(fresh_database("api_show"), media, &hooks));

  auto created = api.call(bhttp::verb::post, "/v1/streams", create_body(true));
  REQUIRE(created.status == 201);
  const auto stream = created.json();
  const std::string id = stream["streamId"];
  const std::string key = stream["streamKey"];
  CHECK(stream["status"] == "ready");
  CHECK(stream["rtmpUrl"] == "rtmp://live.example.com/live");
  CHECK(stream["hlsUrl"] == "https://video.example.com/live/" + id + "/index.m3u8");
  CHECK(stream["dashUrl"] == "https://video.example.com/live/" + id + "/manifest.mpd");
  CHECK(created.headers[bhttp::field::location] == "/v1/streams/" + id);

  Process publisher(ffmpeg_publish(long_h264_aac_fixture().path, api.publish_url(key)),
                    make_scratch_dir("ffmpeg") + "/out.log");
  REQUIRE(api.wait_live(id, true, 20s));
  const auto published = Clock::now();
  REQUIRE(hooks.wait_for(id, "stream.live", 5s));
  const auto live_hook = hooks.delivered(id, "stream.live").front();
  const double hook_ms = ms_between(published, live_hook.at);
  std::printf("publish admitted -> stream.live webhook received: %.1f ms\n", hook_ms);
  CHECK(hook_ms < 1000);
  CHECK(live_hook.signature_valid());
  CHECK(std::abs(std::stol(live_hook.timestamp) - std::time(nullptr)) < 60);
  CHECK(live_hook.json()["data"]["status"] == "live");
  CHECK(live_hook.json()["data"]["hlsUrl"] == stream["hlsUrl"]);

  std::this_thread::sleep_for(4500ms);  // a few stats intervals and two GOPs
  auto shown = api.call(bhttp::verb::get, "/v1/streams/" + id);
  REQUIRE(shown.status == 200);
  auto live = shown.json();
  INFO(live.dump(2));
  CHECK(live["status"] == "live");
  CHECK_FALSE(live["startedAt"].is_null());
  CHECK_FALSE(live.contains("streamKey"));
  CHECK(live["ingest"]["connected"] == true);
  CHECK(live["ingest"]["video"]["codec"] == "h264");
  CHECK(live["ingest"]["video"]["width"] == 640);
  CHECK(live["ingest"]["video"]["height"] == 360);
  CHECK(live["ingest"]["video"]["frameRate"].get<double>() == Approx(30).margin(3));
  CHECK(live["ingest"]["audio"]["codec"] == "aac");
  CHECK(live["ingest"]["bitrateKbps"].get<double>() > 100);
  CHECK(live["ingest"]["bytes"].get<uint64_t>() > 100'000);
  CHECK(live["viewers"]["current"] == 0);
  CHECK(live["recording"]["state"] == "recording");

  auto health = api.call(bhttp::verb::get, "/v1/streams/" + id + "/health").json();
  INFO(health.dump(2));
  CHECK(health["connected"] == true);
  CHECK(health["measured"]["keyframeIntervalMs"].get<double>() == Approx(2000).margin(100));
  CHECK(health["measured"]["bFrames"] == true);  // the fixture has B-frames
  for (const auto& check : health["checks"]) {
    if (check["id"] == "keyframe_interval") CHECK(check["level"] == "ok");
    if (check["id"] == "b_frames") CHECK(check["level"] == "info");
    if (check["id"] == "av_sync") CHECK(check["level"] == "ok");
  }
  auto listed = api.call(bhttp::verb::get, "/v1/streams?status=live").json();
  REQUIRE(listed["streams"].size() == 1);
  CHECK(listed["streams"][0]["streamId"] == id);

  const auto asked = Clock::now();
  auto ended = api.call(bhttp::verb::post, "/v1/streams/" + id + "/end");
  REQUIRE(ended.status == 200);
  CHECK(api.wait_live(id, false, 1s));
  const auto exited = publisher.wait(5s);
  std::printf("end asked -> ffmpeg exited: %.1f ms\n", ms_between(asked, Clock::now()));
  CHECK(exited.has_value());
  auto answer = ended.json();
  INFO(answer.dump(2));
  CHECK(answer["status"] == "ended");
  CHECK(answer["duration"].get<int>() >= 4);
  CHECK(answer["vodUrl"] == "https://video.example.com/vods/" + id + ".m3u8");
  CHECK(answer["stats"] ==
        nlohmann::json{{"peakViewers", 0}, {"uniqueViewers", 0}, {"averageWatchTime", nullptr}});
  CHECK_FALSE(answer["endedAt"].is_null());

  // Idempotent: the stored answer again.
  auto again = api.call(bhttp::verb::post, "/v1/streams/" + id + "/end");
  CHECK(again.status == 200);
  CHECK(again.json() == answer);

  // The key is dead: the hook and the RTMP server refuse it.
  CHECK(api.call(bhttp::verb::post, "/v1/hooks/validate-key", nlohmann::json{{"key", key}}.dump())
            .status == 403);
  std::string out;
  CHECK(run_command(ffmpeg_publish(h264_aac_fixture().path, api.publish_url(key)), &out, 30s) != 0);

  // The recording decodes without one error.
  const fs::path vod = fs::path(media) / "vods" / (id + ".m3u8");
  REQUIRE(fs::exists(vod));
  int status = -1;
  const std::string errors = decode_errors(vod.string(), &status);
  INFO(errors);
  CHECK(status == 0);
  CHECK(errors.empty());

  REQUIRE(hooks.wait_for(id, "stream.ended", 5s));
  REQUIRE(hooks.wait_for(id, "recording.ready", 5s));
  const auto ended_hook = hooks.delivered(id, "stream.ended").front();
  CHECK(ended_hook.signature_valid());
  CHECK(ended_hook.json()["data"]["vodUrl"] == answer["vodUrl"]);
  CHECK(hooks.delivered(id, "recording.ready").front().json()["data"]["vodUrl"] ==
        answer["vodUrl"]);
  CHECK(hooks.delivered(id, "stream.ended").size() == 1);  // the second end sent nothing

  auto after = api.call(bhttp::verb::get, "/v1/streams/" + id).json();
  CHECK(after["status"] == "ended");
  CHECK(after["recording"]["state"] == "ready");
  CHECK(after["vodUrl"] == answer["vodUrl"]);

  CHECK(api.call(bhttp::verb::delete_, "/v1/streams/" + id).status == 204);
  CHECK_FALSE(fs::exists(vod));
  CHECK_FALSE(fs::exists(fs::path(media) / "live" / id));
  CHECK(api.call(bhttp::verb::get, "/v1/streams/" + id).status == 404);
  fs::remove_all(media);
}

TEST_CASE("tokens, the key hook in both forms and key rotation", "[integration][control_api]") {
  const std::string media = make_scratch_dir("media");
  app::Config config = api_test_config(fresh_database("api_keys"), media, nullptr);
  const std::string reader = "read-only-token-0123456789";
  config.api.read_tokens = {reader};
  config.api.metrics_require_auth = true;
  ApiServer api(config);
  auto created = api.call(bhttp::verb::post, "/v1/streams", create_body(false)).json();
  const std::string id = created["streamId"];
  const std::string key = created["streamKey"];

  SECTION("every endpoint but the probes wants a token") {
    for (auto [method, target] : std::vector<std::pair<bhttp::verb, std::string>>{
             {bhttp::verb::post, "/v1/streams"},
             {bhttp::verb::get, "/v1/streams"},
             {bhttp::verb::get, "/v1/streams/" + id},
             {bhttp::verb::get, "/v1/streams/" + id + "/health"},
             {bhttp::verb::post, "/v1/streams/" + id + "/end"},
             {bhttp::verb::post, "/v1/streams/" + id + "/key/rotate"},
             {bhttp::verb::delete_, "/v1/streams/" + id}}) {
      INFO(target);
      for (const std::string token : {"", "wrong-token-0123456789"}) {
        auto answer = api.call(method, target, "", token);
        CHECK(answer.status == 401);
        CHECK(answer.json()["error"]["code"] == "unauthorized");
      }
    }
    CHECK(api.call(bhttp::verb::get, "/healthz", "", "").status == 200);
    CHECK(api.call(bhttp::verb::get, "/readyz", "", "").status == 200);
    CHECK(api.call(bhttp::verb::get, "/metrics", "", "").status == 401);
    CHECK(api.status_of(id) == "ready");  // nothing happened
  }

  SECTION("a read token reads and nothing else") {
    for (const std::string& target : std::vector<std::string>{
             "/v1/streams", "/v1/streams/" + id, "/v1/streams/" + id + "/health",
             "/v1/streams/" + id + "/tags", "/metrics"}) {
      INFO(target);
      CHECK(api.call(bhttp::verb::get, target, "", reader).status == 200);
    }
    CHECK_FALSE(
        api.call(bhttp::verb::get, "/v1/streams/" + id, "", reader).json().contains("streamKey"));
    for (auto [method, target] : std::vector<std::pair<bhttp::verb, std::string>>{
             {bhttp::verb::post, "/v1/streams"},
             {bhttp::verb::post, "/v1/streams/" + id + "/end"},
             {bhttp::verb::post, "/v1/streams/" + id + "/key/rotate"},
             {bhttp::verb::post, "/v1/streams/" + id + "/tags"},
             {bhttp::verb::delete_, "/v1/streams/" + id}}) {
      INFO(target);
      auto answer = api.call(method, target, create_body(false), reader);
      CHECK(answer.status == 403);
      CHECK(answer.json()["error"]["code"] == "forbidden");
    }
    CHECK(api.status_of(id) == "ready");  // nothing happened
    CHECK(api.call(bhttp::verb::get, "/v1/streams", "", "").status == 401);
  }

  SECTION("validate-key takes JSON with a token and nginx-rtmp's form from 127.0.0.1") {
    auto json =
        api.call(bhttp::verb::post, "/v1/hooks/validate-key", nlohmann::json{{"key", key}}.dump());
    CHECK(json.status == 200);
    CHECK(json.json()["streamId"] == id);
    const auto form = [&](const std::string& name) {
      return http_request(api.server.api_port(), bhttp::verb::post, "/v1/hooks/validate-key",
                          "call=publish&app=live&name=" + name + "&addr=203.0.113.7", "",
                          "application/x-www-form-urlencoded");
    };
    CHECK(form(key).status == 200);
    CHECK(form("sk_unknown").status == 403);
    // SRS's http_hooks on_publish, as SRS 5 sends it from 127.0.0.1: 200 with code 0 accepts.
    const auto srs = [&](const std::string& action, const std::string& stream) {
      const nlohmann::json body{{"server_id", "vid-k21d7y2"},        {"action", action},
                                {"client_id", "341w361a"},           {"ip", "203.0.113.7"},
                                {"vhost", "__defaultVhost__"},       {"app", "live"},
                                {"tcUrl", "rtmp://127.0.0.1/live"},  {"stream", stream},
                                {"param", "?vhost=__defaultVhost__"}};
      return http_request(api.server.api_port(), bhttp::verb::post, "/v1/hooks/validate-key",
                          body.dump(), "");
    };
    const auto accepted = srs("on_publish", key);
    CHECK(accepted.status == 200);
    CHECK(accepted.json()["code"] == 0);
    CHECK(accepted.json()["streamId"] == id);
    CHECK(srs("on_publish", "sk_unknown").status == 403);
    CHECK(srs("on_play", key).status == 400);
    CHECK(api.call(bhttp::verb::post, "/v1/hooks/validate-key", R"({"key": "sk_nope"})").status ==
          403);
  }

  SECTION("rotation is refused while live unless forced, which disconnects the publisher") {
    Process publisher(ffmpeg_publish(long_h264_aac_fixture().path, api.publish_url(key)),
                      make_scratch_dir("ffmpeg") + "/out.log");
    REQUIRE(api.wait_live(id, true, 20s));
    auto refused = api.call(bhttp::verb::post, "/v1/streams/" + id + "/key/rotate");
    CHECK(refused.status == 409);
    CHECK(refused.json()["error"]["code"] == "stream_live");
    auto rotated =
        api.call(bhttp::verb::post, "/v1/streams/" + id + "/key/rotate", R"({"force": true})");
    REQUIRE(rotated.status == 200);
    const std::string fresh = rotated.json()["streamKey"];
    CHECK(fresh != key);
    CHECK(api.wait_live(id, false, 1s));
    CHECK(publisher.wait(5s).has_value());
    CHECK(api.call(bhttp::verb::post, "/v1/hooks/validate-key", nlohmann::json{{"key", key}}.dump())
              .status == 403);
    CHECK(
        api.call(bhttp::verb::post, "/v1/hooks/validate-key", nlohmann::json{{"key", fresh}}.dump())
            .status == 200);
    CHECK(api.wait_status(id, "reconnecting", 5s));
    CHECK(api.call(bhttp::verb::delete_, "/v1/streams/" + id).status == 409);
  }
  fs::remove_all(media);
}

TEST_CASE("a receiver that answers 500 twice gets the event on the third try",
          "[integration][control_api][webhooks]") {
  WebhookReceiver hooks;
  const std::string media = make_scratch_dir("media");
  ApiServer api(api_test_config(fresh_database("api_retry"), media, &hooks));
  hooks.fail_next(2);
  const std::string id =
      api.call(bhttp::verb::post, "/v1/streams", create_body(false)).json()["streamId"];
  REQUIRE(api.call(bhttp::verb::post, "/v1/streams/" + id + "/end").status == 200);
  REQUIRE(hooks.wait_for(id, "stream.ended", 10s));
  std::vector<ReceivedHook> attempts;
  for (const auto& hook : hooks.received())
    if (hook.type == "stream.ended") attempts.push_back(hook);
  REQUIRE(attempts.size() == 3);
  CHECK(attempts[0].answered == 500);
  CHECK(attempts[1].answered == 500);
  CHECK(attempts[2].answered == 200);
  CHECK(attempts[0].body == attempts[2].body);  // the same event, signed anew each time
  for (const auto& attempt : attempts) CHECK(attempt.signature_valid());
  // Backoff 100 ms, then 200 ms.
  CHECK(ms_between(attempts[0].at, attempts[1].at) >= 90);
  CHECK(ms_between(attempts[1].at, attempts[2].at) >= 190);

  // The receiver records its answer before the sender has read it, so the
  // sender's counters may lag the receiver by a moment.
  const std::string delivered = "looplive_webhook_deliveries_total{result=\"delivered\"} 1\n";
  std::string metrics;
  for (auto deadline = Clock::now() + 5s; Clock::now() < deadline;
       std::this_thread::sleep_for(10ms)) {
    metrics = api.call(bhttp::verb::get, "/metrics", "", "").body;
    if (metrics.find(delivered) != std::string::npos) break;
  }
  INFO(metrics);
  CHECK(metrics.find(delivered) != std::string::npos);
  CHECK(metrics.find("looplive_webhook_deliveries_total{result=\"failed\"} 2\n") !=
        std::string::npos);
  CHECK(metrics.find("looplive_streams{status=\"ended\"} 1\n") != std::string::npos);
  CHECK(metrics.find("looplive_database_up 1\n") != std::string::npos);
  CHECK(metrics.find("\nprocess_open_fds ") != std::string::npos);
  // Prometheus's own linter takes the whole exposition, the origin's and RTMP's included.
  const fs::path scraped = fs::path(media) / "metrics.txt";
  write_bytes(scraped, {metrics.begin(), metrics.end()});
  std::string lint;
  const int linted =
      run_command({"sh", "-c", "promtool check metrics < \"$0\"", scraped.string()}, &lint);
  INFO(lint);
  CHECK(linted == 0);
  CHECK(lint.empty());
  fs::remove_all(media);
}

TEST_CASE("a stream id in capitals names the same stream everywhere",
          "[integration][control_api]") {
  const std::string media = make_scratch_dir("media");
  ApiServer api(api_test_config(fresh_database("api_case"), media, nullptr));
  const auto upper = [](std::string text) {
    for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
  };

  // Created with an id in capitals: stored, named and answered in lower case.
  const std::string chosen = "3F2504E0-4F89-11D3-9A0C-0305E82C3301";
  auto created = api.call(bhttp::verb::post, "/v1/streams",
                          nlohmann::json{{"id", chosen}, {"record", true}}.dump());
  REQUIRE(created.status == 201);
  const std::string id = created.json()["streamId"];
  CHECK(id == "3f2504e0-4f89-11d3-9a0c-0305e82c3301");
  CHECK(created.headers[bhttp::field::location] == "/v1/streams/" + id);
  const std::string key = created.json()["streamKey"];

  Process publisher(ffmpeg_publish(long_h264_aac_fixture().path, api.publish_url(key)),
                    make_scratch_dir("ffmpeg") + "/out.log");
  REQUIRE(api.wait_live(id, true, 20s));
  // The database hears of it just after the registry.
  REQUIRE(api.wait_status(id, "live", 10s));
  auto found = api.call(bhttp::verb::get, "/v1/streams/" + upper(id));
  REQUIRE(found.status == 200);
  CHECK(found.json()["streamId"] == id);
  CHECK(found.json()["status"] == "live");

  // Something recorded first (a segment on disk), so there is a recording to delete.
  const fs::path live_dir = fs::path(media) / "live" / id;
  const auto has_segment = [&] {
    std::error_code ignored;
    if (!fs::exists(live_dir, ignored)) return false;
    for (const auto& entry : fs::directory_iterator(live_dir, ignored))
      if (entry.path().extension() == ".m4s") return true;
    return false;
  };
  for (int i = 0; i < 100 && !has_segment(); ++i) std::this_thread::sleep_for(100ms);
  REQUIRE(has_segment());

  // Ending it by its capitals really stops the publisher.
  auto ended = api.call(bhttp::verb::post, "/v1/streams/" + upper(id) + "/end");
  REQUIRE(ended.status == 200);
  CHECK(ended.json()["status"] == "ended");
  CHECK(api.wait_live(id, false, 2s));
  CHECK(publisher.wait(5s).has_value());

  // Deleting it by its capitals removes the recording it made.
  const fs::path vod = fs::path(media) / "vods" / (id + ".m3u8");
  nlohmann::json after;
  for (int i = 0; i < 300; ++i) {
    after = api.call(bhttp::verb::get, "/v1/streams/" + upper(id)).json();
    if (after["recording"]["state"] == "ready") break;
    std::this_thread::sleep_for(100ms);
  }
  INFO(after.dump(2));
  REQUIRE(after["recording"]["state"] == "ready");
  REQUIRE(fs::exists(vod));
  REQUIRE(fs::exists(fs::path(media) / "live" / id));
  CHECK(api.call(bhttp::verb::delete_, "/v1/streams/" + upper(id)).status == 204);
  CHECK(api.call(bhttp::verb::get, "/v1/streams/" + id).status == 404);
  CHECK_FALSE(fs::exists(vod));
  CHECK_FALSE(fs::exists(fs::path(media) / "live" / id));
  fs::remove_all(media);
}

TEST_CASE("an encoder name that is not UTF-8 is listed, never a 500",
          "[integration][control_api]") {
  const std::string media = make_scratch_dir("media");
  ApiServer api(api_test_config(fresh_database("api_encoder"), media, nullptr));
  auto created = api.call(bhttp::verb::post, "/v1/streams", create_body(false)).json();
  const std::string id = created["streamId"];
  const std::string key = created["streamKey"];

  // The fixture's onMetaData names its encoder "Lavf…": the same bytes, with
  // that name made invalid UTF-8 and given a line break.
  std::string flv = read_file(long_h264_aac_fixture().path);
  const size_t name = flv.find("Lavf");
  REQUIRE(name < 4096);
  flv.replace(name, 4, "\xFF\r\n\xFE");
  const std::string dir = make_scratch_dir("encoder");
  std::ofstream(dir + "/bad_encoder.flv", std::ios::binary) << flv;
  Process publisher(
      {built_tool("rtmp_publish"), "--realtime", api.publish_url(key), dir + "/bad_encoder.flv"},
      dir + "/publisher.log");
  REQUIRE(api.wait_live(id, true, 20s));

  nlohmann::json stream;
  for (int i = 0; i < 50; ++i) {
    auto answer = api.call(bhttp::verb::get, "/v1/streams/" + id);
    REQUIRE(answer.status == 200);
    stream = answer.json();
    if (!stream["ingest"]["encoder"].is_null()) break;
    std::this_thread::sleep_for(100ms);
  }
  INFO(stream.dump(2));
  REQUIRE(stream["ingest"]["encoder"].is_string());
  const std::string encoder = stream["ingest"]["encoder"];
  CHECK(encoder.rfind("\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", 0) == 0);
  CHECK(encoder.find('\n') == std::string::npos);
  CHECK(api.call(bhttp::verb::get, "/v1/streams").status == 200);
  CHECK(api.call(bhttp::verb::get, "/v1/streams/" + id + "/health").status == 200);
  publisher.terminate();
  fs::remove_all(media);
}

TEST_CASE("two looplive processes on one database send each webhook once",
          "[integration][control_api][webhooks]") {
  WebhookReceiver hooks;
  const std::string media = make_scratch_dir("media");
  const auto database = fresh_database("api_two_nodes");
  const auto config = api_test_config(database, media, &hooks);
  // Deliveries an earlier run left behind: both processes start on them at once.
  constexpr int kEvents = 40;
  {
    db::Database store(database);
    store.migrate();
    db::WebhookQueue queue(store);
    std::vector<db::NewDelivery> rows;
    for (int i = 0; i < kEvents; ++i) {
      const std::string id = fmt::format("00000000-0000-4000-8000-{:012}", i);
      rows.push_back({id, "test.event", std::nullopt, hooks.url(),
                      nlohmann::json{{"id", id}, {"type", "test.event"}}.dump()});
    }
    queue.enqueue(rows);
  }
  ApiServer first(config);  // a deploy overlap: the old process and the new one
  ApiServer second(config);
  for (int i = 0; i < 200 && hooks.received().size() < size_t(kEvents); ++i)
    std::this_thread::sleep_for(50ms);
  std::this_thread::sleep_for(500ms);  // room for a duplicate to arrive
  std::map<std::string, int> sent;
  for (const auto& hook : hooks.received()) ++sent[hook.json()["id"].get<std::string>()];
  CHECK(sent.size() == size_t(kEvents));
  for (const auto& [id, times] : sent) {
    INFO(id);
    CHECK(times == 1);
  }
  fs::remove_all(media);
}

TEST_CASE("retention deletes old deliveries and ended streams with their media, nothing else",
          "[integration][control_api]") {
  WebhookReceiver hooks;
  const std::string media = make_scratch_dir("media");
  const auto database = fresh_database("api_retention");
  auto config = api_test_config(database, media, &hooks);
  config.retention.webhooks = 1s;
  config.retention.ended_streams = 1s;
  config.retention.check_interval = 300ms;
  ApiServer api(config);
  const std::string ended =
      api.call(bhttp::verb::post, "/v1/streams", create_body(false)).json()["streamId"];
  const std::string kept =
      api.call(bhttp::verb::post, "/v1/streams", create_body(false)).json()["streamId"];
  const fs::path ended_media = fs::path(media) / "live" / ended;
  fs::create_directories(ended_media);
  std::ofstream(ended_media / "v_1.m4s") << "media";
  REQUIRE(api.call(bhttp::verb::post, "/v1/streams/" + ended + "/end").status == 200);
  for (int i = 0; i < 100 && hooks.received().empty(); ++i) std::this_thread::sleep_for(50ms);
  REQUIRE_FALSE(hooks.received().empty());  // stream.ended, delivered

  db::Database store(database);
  db::WebhookQueue queue(store);
  const auto pruned = [&] {
    return api.call(bhttp::verb::get, "/v1/streams/" + ended).status == 404 &&
           queue.counts().delivered == 0;
  };
  for (int i = 0; i < 100 && !pruned(); ++i) std::this_thread::sleep_for(100ms);
  CHECK(pruned());
  CHECK_FALSE(fs::exists(ended_media));
  // A stream that has not ended stays, whatever its age.
  CHECK(api.call(bhttp::verb::get, "/v1/streams/" + kept).status == 200);
  fs::remove_all(media);
}

// The Access-Control-Allow-Origin the origin answers a preflight from `from` with.
std::string allowed_origin(uint16_t origin_port, const std::string& from) {
  net::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(10s);
  stream.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), origin_port));
  bhttp::request<bhttp::empty_body> request(bhttp::verb::options, "/live/x/index.m3u8", 11);
  request.set(bhttp::field::host, "127.0.0.1");
  request.set(bhttp::field::origin, from);
  request.set(bhttp::field::access_control_request_method, "GET");
  bhttp::write(stream, request);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> response;
  bhttp::read(stream, buffer, response);
  return std::string(response[bhttp::field::access_control_allow_origin]);
}

TEST_CASE(
    "SIGHUP applies new tokens, webhook receivers, CORS origins and connection caps and keeps "
    "serving",
    "[integration][control_api][reload]") {
  WebhookReceiver before;
  WebhookReceiver after;
  const std::string media = make_scratch_dir("media");
  const app::Config config = api_test_config(fresh_database("api_reload"), media, &before);
  app::Config next = config;
  const std::string fresh_token = "rotated-token-9876543210";
  next.api.tokens = {fresh_token};
  next.webhooks.urls = {after.url()};
  // The secret rotates: deliveries are signed with both until receivers move.
  const std::string fresh_secret = "whsec_bmV3LXNlY3JldC1mb3ItdGhlLXJvdGF0aW9u";
  next.webhooks.secret = fresh_secret;
  next.webhooks.previous_secret = kWebhookSecret;
  next.log.loggers["api"] = "debug";
  next.rtmp.window_ack_size = 1'000'000;  // differs, but only a restart applies it
  next.origin.cors_allowed_origins = {"https://shop.example"};
  next.rtmp.max_connections_per_address = 1;
  next.origin.limits.max_connections_per_ip = 2;
  std::atomic<bool> valid = true;
  app::Server server(config);
  server.set_config_source([&] {
    if (!valid) throw core::ConfigError("conf/looplive.yaml: api.tokens: too short");
    return next;
  });
  server.start();
  const auto call = [&](bhttp::verb method, const std::string& target, const std::string& token) {
    return http_request(server.api_port(), method, target, "", token);
  };
  const auto reload_and_wait = [&](uint64_t count) {
    REQUIRE(::kill(::getpid(), SIGHUP) == 0);
    const auto deadline = Clock::now() + 5s;
    while (server.last_reload().second < count && Clock::now() < deadline)
      std::this_thread::sleep_for(5ms);
  };
  const std::string id =
      http_request(server.api_port(), bhttp::verb::post, "/v1/streams", create_body(false))
          .json()["streamId"];

  // A configuration that does not validate changes nothing.
  valid = false;
  REQUIRE(::kill(::getpid(), SIGHUP) == 0);
  std::this_thread::sleep_for(300ms);
  CHECK(server.last_reload().second == 0);
  CHECK(call(bhttp::verb::get, "/v1/streams/" + id, kApiToken).status == 200);
  CHECK(allowed_origin(server.origin_port(), "https://other.example") == "*");
  {
    // Within the caps of the running configuration.
    SlowClients players(server.origin_port(), 3, "/healthz");
    SlowClients encoders(server.rtmp_port(), 2, "");
    CHECK(eventually([&] { return server.rtmp_connections() == 2; }));
    std::this_thread::sleep_for(200ms);
    CHECK(players.closed() == 0);
    CHECK(encoders.closed() == 0);
  }
  CHECK(eventually([&] { return server.rtmp_connections() == 0; }));

  valid = true;
  reload_and_wait(1);
  const auto [plan, count] = server.last_reload();
  REQUIRE(count == 1);
  CHECK(plan.applied == std::vector<std::string>{"log.loggers", "api.tokens", "webhooks",
                                                 "rtmp.max_connections_per_address",
                                                 "origin.cors_allowed_origins",
                                                 "origin.max_connections_per_ip"});
  CHECK(plan.restart == std::vector<std::string>{"rtmp"});
  {
    // The new caps hold for the connections that follow: one encoder
    // connection an address, and two unfinished requests (a third evicts the
    // oldest).
    SlowClients first(server.rtmp_port(), 1, "");
    CHECK(eventually([&] { return server.rtmp_connections() == 1; }));
    SlowClients second(server.rtmp_port(), 1, "");
    CHECK(eventually([&] { return second.closed() == 1; }));
    CHECK(first.closed() == 0);
    std::this_thread::sleep_for(300ms);  // the CORS checks' connections are gone
    SlowClients players(server.origin_port(), 2, "/healthz");
    std::this_thread::sleep_for(200ms);
    CHECK(players.closed() == 0);
    SlowClients late(server.origin_port(), 1, "/healthz");
    CHECK(eventually([&] { return players.closed() == 1; }));
    CHECK(late.closed() == 0);
  }
  // Players on the listed site only, from the next request on.
  CHECK(allowed_origin(server.origin_port(), "https://shop.example") == "https://shop.example");
  CHECK(allowed_origin(server.origin_port(), "https://other.example").empty());
  CHECK(call(bhttp::verb::get, "/v1/streams/" + id, kApiToken).status == 401);
  CHECK(call(bhttp::verb::get, "/v1/streams/" + id, fresh_token).status == 200);
  CHECK(core::logger("api")->level() == spdlog::level::debug);

  // Events after the reload go to the new receiver, signed with the same secret.
  CHECK(call(bhttp::verb::post, "/v1/streams/" + id + "/end", fresh_token).status == 200);
  REQUIRE(after.wait_for(id, "stream.ended", 10s));
  const auto delivered = after.delivered(id, "stream.ended").front();
  CHECK(delivered.signature_valid(kWebhookSecret));
  CHECK(delivered.signature_valid(fresh_secret));
  CHECK_FALSE(delivered.signature_valid("whsec_" + std::string(40, 'A')));
  CHECK(before.delivered(id, "stream.ended").empty());

  // The same file again: nothing left to apply, the restart still pending.
  reload_and_wait(2);
  CHECK(server.last_reload().first.applied.empty());
  CHECK(server.last_reload().first.restart == std::vector<std::string>{"rtmp"});
  server.stop();
  core::set_log_levels(config.log);
  fs::remove_all(media);
}

TEST_CASE("a reload during a live show drops no segment and keeps the publisher",
          "[integration][control_api][reload]") {
  const std::string media = make_scratch_dir("media");
  const app::Config config = api_test_config(fresh_database("api_reload_live"), media, nullptr);
  app::Config next = config;
  next.api.tokens = {"rotated-token-9876543210"};
  next.log.level = "debug";
  ApiServer api(config, [&] { return next; });
  auto created = api.call(bhttp::verb::post, "/v1/streams", create_body(false)).json();
  const std::string id = created["streamId"];
  Process publisher(ffmpeg_publish(long_h264_aac_fixture().path,
                                   api.publish_url(created["streamKey"].get<std::string>())),
                    make_scratch_dir("ffmpeg") + "/out.log");
  REQUIRE(api.wait_live(id, true, 20s));
  const auto newest_segment = [&]() -> uint64_t {
    const auto view = api.server.packager()->view(id);
    return view && view->video() && !view->video()->segments.empty()
               ? view->video()->segments.back().number
               : 0;
  };
  for (auto deadline = Clock::now() + 10s; newest_segment() == 0 && Clock::now() < deadline;)
    std::this_thread::sleep_for(20ms);
  const uint64_t before = newest_segment();
  REQUIRE(before > 0);
  REQUIRE(::kill(::getpid(), SIGHUP) == 0);
  for (auto deadline = Clock::now() + 5s;
       api.server.last_reload().second == 0 && Clock::now() < deadline;)
    std::this_thread::sleep_for(5ms);
  REQUIRE(api.server.last_reload().second == 1);
  // Two more segments: the show went on across the reload.
  for (auto deadline = Clock::now() + 8s; newest_segment() < before + 2 && Clock::now() < deadline;)
    std::this_thread::sleep_for(20ms);

  // Still the same publish, and the playlist runs on without a gap or a break.
  CHECK(api.server.registry().is_live(id));
  CHECK_FALSE(publisher.wait(0ms).has_value());
  const auto view = api.server.packager()->view(id);
  REQUIRE(view != nullptr);
  REQUIRE(view->video() != nullptr);
  const auto& segments = view->video()->segments;
  CHECK(segments.back().number >= before + 2);
  for (size_t i = 1; i < segments.size(); ++i) {
    INFO(segments[i].uri);
    CHECK(segments[i].number == segments[i - 1].number + 1);
    CHECK_FALSE(segments[i].discontinuity);
  }
  CHECK(api.call(bhttp::verb::get, "/v1/streams/" + id, "", "rotated-token-9876543210").status ==
        200);
  api.server.stop();
  core::set_log_levels(config.log);
  fs::remove_all(media);
}
