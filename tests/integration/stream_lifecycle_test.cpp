// A stream's life through publisher drops, reconnect windows and a restart of
// looplive, as the backend sees it: statuses, webhooks, the recording.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <future>
#include <set>
#include <sstream>

#include "control_api_harness.hpp"
#include "lifecycle_clock.hpp"
#include "looplive/core/utc_text.hpp"
#include "looplive/db/tag_repository.hpp"
#include "looplive/packager/packager.hpp"
#include "media_fixture.hpp"
#include "small_disk.hpp"

using namespace looplive;
using namespace looplive::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct Created {
  std::string id;
  std::string key;
};

// Moves the lifecycle's clock ahead in steps until `done`: reconnect windows
// lapse without the test sleeping through them.
template <class Done>
bool skip_until(Done done, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    app::LifecycleClock::skip(500ms);
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

Created create(ApiServer& api, bool record) {
  auto created =
      api.call(bhttp::verb::post, "/v1/streams", nlohmann::json{{"record", record}}.dump());
  REQUIRE(created.status == 201);
  return Created{created.json()["streamId"], created.json()["streamKey"]};
}

void publish_to_end(ApiServer& api, const std::string& key) {
  std::string out;
  const int status =
      run_command(ffmpeg_publish(h264_aac_fixture().path, api.publish_url(key)), &out, 60s);
  INFO(out);
  REQUIRE(status == 0);
}

// Creates a recorded stream on a server of its own, publishes to it for a
// few recorded segments (placing a product tag when `tag_id` is given) and
// stops that server mid-stream, as a crash or a deploy would; the publisher
// has exited when this returns.
Created record_then_stop_server(const app::Config& config, std::string* tag_id = nullptr) {
  auto first = std::make_unique<ApiServer>(config);
  const auto stream = create(*first, true);
  Process publisher(ffmpeg_publish(long_h264_aac_fixture().path, first->publish_url(stream.key)),
                    make_scratch_dir("ffmpeg") + "/out.log");
  REQUIRE(first->wait_live(stream.id, true, 20s));
  std::this_thread::sleep_for(5s);  // a couple of recorded segments
  if (tag_id) {
    const auto tag = first->call(bhttp::verb::post, "/v1/streams/" + stream.id + "/tags",
                                 R"({"productId": "sku-7", "action": "show"})");
    REQUIRE(tag.status == 201);
    *tag_id = tag.json()["id"];
  }
  REQUIRE(first->status_of(stream.id) == "live");
  first.reset();
  CHECK(publisher.wait(10s).has_value());
  return stream;
}

// The first segment a recording index lists.
std::string first_listed(const fs::path& index) {
  std::istringstream lines(read_file(index.string()));
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && line[0] != '#') return line;
  return {};
}

// Every name a live stream's view serves as a file (segments, parts, init
// segments, time-addressed names) with the segment numbers it lists.
struct Served {
  std::set<std::string> names;
  uint64_t first_number = 0;
  uint64_t last_number = 0;
};

Served served_after_a_while(ApiServer& api, const std::string& id) {
  std::this_thread::sleep_for(5s);  // a couple of segments
  auto view = api.server.packager()->view(id);
  REQUIRE(view);
  REQUIRE(view->video() != nullptr);
  REQUIRE_FALSE(view->video()->segments.empty());
  Served served;
  for (const auto& files : view->media)
    for (const auto& entry : *files) served.names.insert(entry.first);
  served.first_number = view->video()->segments.front().number;
  served.last_number = view->video()->segments.back().number;
  return served;
}

void check_decodes(const fs::path& playlist) {
  REQUIRE(fs::exists(playlist));
  int status = -1;
  const std::string errors = decode_errors(playlist.string(), &status);
  INFO(playlist << ": " << errors);
  CHECK(status == 0);
  CHECK(errors.empty());
}

// Two servers on one database, a show on air on the first (the holder): a
// tag can go on from its first playlist.
struct ShowOnTwoServers {
  explicit ShowOnTwoServers(app::Config config)
      : media(config.packager.media_root),
        other_media(make_scratch_dir("other-media")),
        holder(config),
        other([&] {
          config.packager.media_root = other_media;
          return config;
        }()),
        stream(create(holder, false)),
        publisher(ffmpeg_publish(long_h264_aac_fixture().path, holder.publish_url(stream.key)),
                  make_scratch_dir("ffmpeg") + "/publisher.log"),
        tags("/v1/streams/" + stream.id + "/tags") {
    REQUIRE(holder.wait_live(stream.id, true, 20s));
    const auto playable = [&] {
      return http_request(holder.server.origin_port(), bhttp::verb::get,
                          "/live/" + stream.id + "/index.m3u8", "", "")
                 .status == 200;
    };
    for (int i = 0; i < 200 && !playable(); ++i) std::this_thread::sleep_for(100ms);
    REQUIRE(playable());
  }
  ~ShowOnTwoServers() {
    publisher.terminate();
    fs::remove_all(media);
    fs::remove_all(other_media);
  }

  std::string media, other_media;
  ApiServer holder, other;
  Created stream;
  Process publisher;
  std::string tags;  // the stream's tag API path
};

}  // namespace

TEST_CASE("a publisher back within the window continues the stream; then the window ends it",
          "[integration][lifecycle]") {
  WebhookReceiver hooks;
  const std::string media = make_scratch_dir("media");
  auto config = api_test_config(fresh_database("lifecycle_reconnect"), media, &hooks);
  config.lifecycle.reconnect_window = 5s;
  ApiServer api(config);
  const auto stream = create(api, true);

  publish_to_end(api, stream.key);
  CHECK(api.wait_status(stream.id, "reconnecting", 5s));
  REQUIRE(hooks.wait_for(stream.id, "stream.reconnecting", 5s));
  CHECK(hooks.delivered(stream.id, "stream.reconnecting")[0]
            .json()["data"]["reconnectWindowSeconds"] == 5.0);

  publish_to_end(api, stream.key);  // back well within 5 s
  CHECK(hooks.wait_for(stream.id, "stream.live", 5s, 2));
  CHECK(hooks.delivered(stream.id, "stream.ended").empty());
  CHECK(api.wait_status(stream.id, "reconnecting", 5s));

  // Nobody returns: the stream ends by itself at the end of the window, not before.
  app::LifecycleClock::skip(3s);
  std::this_thread::sleep_for(300ms);
  CHECK(api.status_of(stream.id) == "reconnecting");
  app::LifecycleClock::skip(2s);
  REQUIRE(hooks.wait_for(stream.id, "stream.ended", 5s));
  REQUIRE(hooks.wait_for(stream.id, "recording.ready", 5s));
  auto ended = hooks.delivered(stream.id, "stream.ended")[0].json()["data"];
  CHECK(ended["status"] == "ended");
  CHECK(ended["reason"] == "reconnect window expired");
  CHECK(ended["vodUrl"] == "https://video.example.com/vods/" + stream.id + ".m3u8");
  CHECK(ended["duration"].get<int>() >= 7);  // both publishes
  CHECK(api.status_of(stream.id) == "ended");

  // One playlist for both publishes, with one discontinuity where the publisher came back.
  const std::string vod_video =
      read_file((fs::path(media) / "vods" / (stream.id + "_video.m3u8")).string());
  INFO(vod_video);
  CHECK(count_of(vod_video, "#EXT-X-DISCONTINUITY\n") == 1);
  CHECK(vod_video.find("#EXT-X-ENDLIST") != std::string::npos);
  // Each rendition on its own: ffmpeg 5.1's HLS demuxer ignores
  // EXT-X-DISCONTINUITY, so when audio and video resume a few ms apart after
  // the publisher's gap, its CLI reports duplicate frame times for the combined
  // decode (depending on the gap) although every sample on disk is in order.
  check_decodes(fs::path(media) / "vods" / (stream.id + "_video.m3u8"));
  check_decodes(fs::path(media) / "vods" / (stream.id + "_audio.m3u8"));

  // The key died with the stream.
  std::string out;
  CHECK(run_command(ffmpeg_publish(h264_aac_fixture().path, api.publish_url(stream.key)), &out,
                    30s) != 0);
  fs::remove_all(media);
}

TEST_CASE("a restart keeps live streams and pending webhooks", "[integration][lifecycle]") {
  WebhookReceiver hooks;
  const std::string media = make_scratch_dir("media");
  auto config = api_test_config(fresh_database("lifecycle_restart"), media, &hooks);
  config.lifecycle.reconnect_window = 4s;
  hooks.fail_all(true);  // nothing gets through before the restart

  const auto stream = record_then_stop_server(config);
  const auto failed_live = [&] {
    for (const auto& hook : hooks.received())
      if (hook.type == "stream.live") return hook.json()["id"].get<std::string>();
    return std::string();
  }();
  CHECK_FALSE(failed_live.empty());
  CHECK(hooks.delivered(stream.id, "stream.live").empty());

  hooks.fail_all(false);
  ApiServer second(config);
  CHECK(second.status_of(stream.id) == "reconnecting");
  // The event that failed before the restart arrives, the same event.
  REQUIRE(hooks.wait_for(stream.id, "stream.live", 10s));
  CHECK(hooks.delivered(stream.id, "stream.live")[0].json()["id"] == failed_live);
  REQUIRE(hooks.wait_for(stream.id, "stream.reconnecting", 10s));
  // The first server drained: it left the stream reconnecting as it stopped.
  CHECK(hooks.delivered(stream.id, "stream.reconnecting")[0].json()["data"]["reason"] ==
        "server shutting down");

  // Nobody came back: ended, and the recording finalized from what is on disk.
  REQUIRE(skip_until([&] { return !hooks.delivered(stream.id, "stream.ended").empty(); }));
  REQUIRE(hooks.wait_for(stream.id, "recording.ready", 5s));
  auto shown = second.call(bhttp::verb::get, "/v1/streams/" + stream.id).json();
  INFO(shown.dump(2));
  CHECK(shown["status"] == "ended");
  CHECK(shown["recording"]["state"] == "ready");
  CHECK(shown["duration"].get<int>() >= 3);
  check_decodes(fs::path(media) / "vods" / (stream.id + ".m3u8"));
  for (const auto& hook : hooks.received()) CHECK(hook.signature_valid());
  fs::remove_all(media);
}

TEST_CASE("a seller back within the window after a restart continues the recording",
          "[integration][lifecycle]") {
  const std::string media = make_scratch_dir("media");
  auto config = api_test_config(fresh_database("lifecycle_resume"), media, nullptr);
  config.lifecycle.reconnect_window = 20s;

  std::string tag_id;
  const auto stream = record_then_stop_server(config, &tag_id);
  const fs::path dir = fs::path(media) / "live" / stream.id;
  const std::string first_segment = first_listed(dir / "recording_video.m3u8");
  REQUIRE(fs::exists(dir / first_segment));
  const auto recorded_before = read_file((dir / first_segment).string());
  const size_t segments_before =
      count_of(read_file((dir / "recording_video.m3u8").string()), "#EXTINF");
  REQUIRE(segments_before >= 1);

  ApiServer second(config);
  CHECK(second.status_of(stream.id) == "reconnecting");
  {
    // The seller's encoder reconnects. The card shown before the restart is
    // still on screen: the live playlists list it for viewers joining now.
    Process publisher(ffmpeg_publish(h264_aac_fixture().path, second.publish_url(stream.key)),
                      make_scratch_dir("ffmpeg") + "/again.log");
    const std::string playlist = "/live/" + stream.id + "/video.m3u8";
    const auto listed = [&] {
      const auto answer =
          http_request(second.server.origin_port(), bhttp::verb::get, playlist, "", "");
      return answer.status == 200 &&
             answer.body.find("#EXT-X-DATERANGE:ID=\"tag-" + tag_id + "\"") != std::string::npos;
    };
    bool seen = false;
    for (auto until = Clock::now() + 15s; !seen && Clock::now() < until;) {
      seen = listed();
      if (!seen) std::this_thread::sleep_for(100ms);
    }
    CHECK(seen);
    REQUIRE(publisher.wait(60s) == 0);
  }
  REQUIRE(second.call(bhttp::verb::post, "/v1/streams/" + stream.id + "/end").status == 200);
  const auto recording_ready = [&] {
    const auto shown = second.call(bhttp::verb::get, "/v1/streams/" + stream.id).json();
    return shown["recording"]["state"] == "ready";
  };
  for (int i = 0; i < 300 && !recording_ready(); ++i) std::this_thread::sleep_for(100ms);
  REQUIRE(recording_ready());

  // Nothing of the first run was written over; the VOD holds both runs.
  CHECK(read_file((dir / first_segment).string()) == recorded_before);
  const fs::path vod = fs::path(media) / "vods" / (stream.id + "_video.m3u8");
  const std::string text = read_file(vod.string());
  CHECK(count_of(text, "#EXTINF") >= segments_before + 2);
  CHECK(count_of(text, "#EXT-X-DISCONTINUITY\n") >= 1);
  // The tag placed before the restart is in the replay, from the database.
  CHECK(text.find("#EXT-X-DATERANGE:ID=\"tag-" + tag_id + "\"") != std::string::npos);
  check_decodes(vod);
  check_decodes(fs::path(media) / "vods" / (stream.id + "_audio.m3u8"));
  fs::remove_all(media);
}

TEST_CASE("a stream published again after a restart reuses no URL a cache may keep",
          "[integration][lifecycle]") {
  const std::string media = make_scratch_dir("media");
  auto config = api_test_config(fresh_database("lifecycle_urls"), media, nullptr);
  config.lifecycle.reconnect_window = 20s;
  // Not recorded: nothing on disk tells the next run where numbering stood.
  auto first = std::make_unique<ApiServer>(config);
  const auto stream = create(*first, false);
  Served before;
  {
    Process publisher(ffmpeg_publish(long_h264_aac_fixture().path, first->publish_url(stream.key)),
                      make_scratch_dir("ffmpeg") + "/first.log");
    REQUIRE(first->wait_live(stream.id, true, 20s));
    before = served_after_a_while(*first, stream.id);
    first.reset();  // a deploy or a crash, mid-show
  }
  ApiServer second(config);
  Process publisher(ffmpeg_publish(long_h264_aac_fixture().path, second.publish_url(stream.key)),
                    make_scratch_dir("ffmpeg") + "/second.log");
  REQUIRE(second.wait_live(stream.id, true, 20s));
  const Served after = served_after_a_while(second, stream.id);
  // Segments, parts, init segments and the MPD's time names: all new, and the
  // media sequence never goes back.
  for (const auto& name : after.names) {
    INFO(name);
    CHECK_FALSE(before.names.contains(name));
  }
  CHECK(after.first_number > before.last_number);
  publisher.terminate();
  fs::remove_all(media);
}

TEST_CASE("two servers on one database leave each other's streams alone",
          "[integration][lifecycle]") {
  const std::string media = make_scratch_dir("media");
  auto config = api_test_config(fresh_database("lifecycle_two_servers"), media, nullptr);
  config.lifecycle.reconnect_window = 2s;
  config.lifecycle.owner_lease = 3s;
  auto first = std::make_unique<ApiServer>(config);
  const auto stream = create(*first, false);
  Process publisher(ffmpeg_publish(long_h264_aac_fixture().path, first->publish_url(stream.key)),
                    make_scratch_dir("ffmpeg") + "/first.log");
  REQUIRE(first->wait_live(stream.id, true, 20s));

  // A deploy overlap: a second server starts on the same database.
  ApiServer second(config);
  // Past its reconnect window and a few lease renewals, the show is untouched.
  // (Slept, not skipped: the leases run on the database's clock.)
  std::this_thread::sleep_for(4s);
  CHECK(second.status_of(stream.id) == "live");
  CHECK(first->server.registry().is_live(stream.id));
  // The key live on the first server is refused on the second.
  std::string out;
  CHECK(run_command(ffmpeg_publish(h264_aac_fixture().path, second.publish_url(stream.key)), &out,
                    30s) != 0);
  CHECK(out.find("already publishing") != std::string::npos);
  CHECK(first->server.registry().is_live(stream.id));
  CHECK(second.status_of(stream.id) == "live");

  // The first server stops: the second adopts the show, gives the seller the
  // reconnect window, then ends it.
  first.reset();
  CHECK(skip_until([&] { return second.status_of(stream.id) == "ended"; }, 15s));
  publisher.terminate();
  fs::remove_all(media);
}

TEST_CASE("an end or a forced key rotation sent to another server reaches the publisher",
          "[integration][lifecycle]") {
  // Two nodes behind one API address, each with its own disk.
  const std::string media = make_scratch_dir("media");
  auto config = api_test_config(fresh_database("lifecycle_asked_elsewhere"), media, nullptr);
  config.lifecycle.owner_lease = 3s;
  auto other_config = config;
  other_config.packager.media_root = make_scratch_dir("other-media");
  ApiServer holder(config);
  ApiServer other(other_config);
  const auto stream = create(holder, true);
  const std::string logs = make_scratch_dir("ffmpeg");
  Process publisher(ffmpeg_publish(long_h264_aac_fixture().path, holder.publish_url(stream.key)),
                    logs + "/first.log");
  REQUIRE(holder.wait_live(stream.id, true, 20s));

  // A forced rotation on the other server disconnects the publisher on the holder.
  const auto rotated = other.call(bhttp::verb::post, "/v1/streams/" + stream.id + "/key/rotate",
                                  R"({"force": true})");
  REQUIRE(rotated.status == 200);
  CHECK(holder.wait_live(stream.id, false, 10s));
  CHECK(publisher.wait(10s).has_value());

  // The seller comes back with the new key and records a few segments.
  Process again(
      ffmpeg_publish(long_h264_aac_fixture().path, holder.publish_url(rotated.json()["streamKey"])),
      logs + "/again.log");
  REQUIRE(holder.wait_live(stream.id, true, 20s));
  std::this_thread::sleep_for(4s);

  // A product tag posted to the other server: the holder places it, stamped
  // with the moment it was posted, and the caller gets the holder's answer.
  const std::string tags = "/v1/streams/" + stream.id + "/tags";
  const auto posted_at = std::chrono::system_clock::now();
  const auto tag =
      other.call(bhttp::verb::post, tags, R"({"productId": "sku-elsewhere", "action": "show"})");
  const auto answered_in = std::chrono::system_clock::now() - posted_at;
  INFO(tag.body);
  REQUIRE(tag.status == 201);
  CHECK(tag.json()["productId"] == "sku-elsewhere");
  CHECK(tag.headers.count("Location") == 1);
  CHECK(answered_in < 3s);
  std::printf("a tag posted to the other server answered 201 in %lld ms\n",
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(answered_in).count()));
  const auto stamped = core::parse_utc_ms(tag.json()["programDateTime"].get<std::string>());
  REQUIRE(stamped);
  const int64_t posted_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(posted_at.time_since_epoch()).count();
  CHECK(std::abs(*stamped - posted_ms) < 200);
  // In the holder's media playlist, and in the timeline either server reads.
  const auto in_playlist = [&] {
    const auto playlist = http_request(holder.server.origin_port(), bhttp::verb::get,
                                       "/live/" + stream.id + "/video.m3u8", "", "");
    return playlist.body.find("X-PRODUCT-ID=\"sku-elsewhere\"") != std::string::npos;
  };
  const auto listed_by = Clock::now() + 5s;
  while (!in_playlist() && Clock::now() < listed_by) std::this_thread::sleep_for(100ms);
  CHECK(in_playlist());
  const auto timeline = other.call(bhttp::verb::get, tags);
  REQUIRE(timeline.status == 200);
  REQUIRE(timeline.json()["tags"].size() == 1);
  CHECK(timeline.json()["tags"][0]["id"] == tag.json()["id"]);
  // A tag placed ahead of the show is taken back through the other server too.
  const auto ahead =
      other.call(bhttp::verb::post, tags,
                 R"({"productId": "sku-ahead", "action": "show", "mediaTime": 3600})");
  INFO(ahead.body);
  REQUIRE(ahead.status == 201);
  const std::string ahead_url = tags + "/" + ahead.json()["id"].get<std::string>();
  CHECK(other.call(bhttp::verb::delete_, ahead_url).status == 204);
  CHECK(other.call(bhttp::verb::delete_, ahead_url).status == 404);
  CHECK(holder.call(bhttp::verb::get, tags).json()["tags"].size() == 1);
  // The holder's answer to a bad time comes back as it would from the holder.
  const auto early = other.call(bhttp::verb::post, tags,
                                R"({"productId": "sku-early", "action": "show",)"
                                R"( "programDateTime": "2001-01-01T00:00:00Z"})");
  INFO(early.body);
  CHECK(early.status == 422);

  // The end sent to the other server: the holder ends it, and the answer has
  // the holder's recording.
  const auto ended = other.call(bhttp::verb::post, "/v1/streams/" + stream.id + "/end");
  INFO(ended.body);
  REQUIRE(ended.status == 200);
  CHECK(ended.json()["status"] == "ended");
  REQUIRE(ended.json()["vodUrl"].is_string());
  CHECK_FALSE(holder.server.registry().is_live(stream.id));
  CHECK(again.wait(10s).has_value());
  const auto stored = holder.server.streams().get(stream.id);
  REQUIRE(stored.summary);
  REQUIRE(stored.summary->vod_path);
  check_decodes(fs::path(media) / *stored.summary->vod_path);
  CHECK_FALSE(fs::exists(fs::path(other_config.packager.media_root) / *stored.summary->vod_path));
  const auto after_end =
      other.call(bhttp::verb::post, tags, R"({"productId": "sku-late", "action": "show"})");
  CHECK(after_end.status == 409);
  CHECK(after_end.json()["error"]["code"] == "stream_ended");
  fs::remove_all(media);
  fs::remove_all(other_config.packager.media_root);
}

TEST_CASE("a stream's tag rate holds however many servers take its tags, in batches too",
          "[integration][lifecycle][tags]") {
  auto config =
      api_test_config(fresh_database("lifecycle_tag_rate"), make_scratch_dir("media"), nullptr);
  config.api.tags_per_second = 1;  // a burst of two
  ShowOnTwoServers show(config);
  ApiServer& holder = show.holder;
  ApiServer& other = show.other;
  const Created& stream = show.stream;
  const std::string& tags = show.tags;
  int posted = 0;
  const auto post = [&](ApiServer& server) {
    return server.call(
        bhttp::verb::post, tags,
        R"({"productId": "sku-)" + std::to_string(++posted) + R"(", "action": "show"})");
  };
  // The holder's burst spent on the holder: the other server, with a burst
  // of its own left, hands its tag to the holder, which refuses it.
  CHECK(post(holder).status == 201);
  CHECK(post(holder).status == 201);
  const auto refused = post(other);
  INFO(refused.body);
  CHECK(refused.status == 429);
  CHECK(refused.json()["error"]["code"] == "rate_limited");
  CHECK(refused.headers.count("Retry-After") == 1);
  // And the other way: two tags through the other server spend the holder's burst.
  std::this_thread::sleep_for(2100ms);  // both buckets full again
  CHECK(post(other).status == 201);
  CHECK(post(other).status == 201);
  CHECK(post(holder).status == 429);
  CHECK(holder.call(bhttp::verb::get, tags).json()["tags"].size() == 4);
  // A batch through the other server: each tag is handed to the holder,
  // which places the first two and refuses the third at its rate.
  std::this_thread::sleep_for(2100ms);
  nlohmann::json batch = {{"tags", nlohmann::json::array()}};
  for (int i = 0; i < 3; ++i)
    batch["tags"].push_back(
        {{"streamId", stream.id}, {"productId", "sku-b" + std::to_string(i)}, {"action", "show"}});
  const auto answer = other.call(bhttp::verb::post, "/v1/tags", batch.dump());
  INFO(answer.body);
  REQUIRE(answer.status == 200);
  const auto results = answer.json()["results"];
  REQUIRE(results.size() == 3);
  CHECK(results[0]["status"] == 201);
  CHECK(results[0]["tag"]["productId"] == "sku-b0");
  CHECK(results[1]["status"] == 201);
  CHECK(results[2]["status"] == 429);
  CHECK(results[2]["error"]["code"] == "rate_limited");
  CHECK(holder.call(bhttp::verb::get, tags).json()["tags"].size() == 6);
}

TEST_CASE("a batch's tags for a stream another server packages go to it in one request",
          "[integration][lifecycle][tags]") {
  auto config = api_test_config(fresh_database("lifecycle_tag_batch_holder"),
                                make_scratch_dir("media"), nullptr);
  config.api.tags_per_second = 100;  // a burst of 200: the rate is not what this is about
  ShowOnTwoServers show(config);
  // 100 tags: more than the 64 requests a server lets wait on others, so
  // handed over one by one the last 36 would be refused (503).
  nlohmann::json batch = {{"tags", nlohmann::json::array()}};
  for (int i = 0; i < 100; ++i)
    batch["tags"].push_back({{"streamId", show.stream.id},
                             {"productId", "sku-" + std::to_string(i)},
                             {"action", "show"}});
  batch["tags"][40]["x"] = 2;                                     // refused by the server asked
  batch["tags"][70]["programDateTime"] = "2001-01-01T00:00:00Z";  // refused by the holder
  const auto answer = show.other.call(bhttp::verb::post, "/v1/tags", batch.dump());
  INFO(answer.body.substr(0, 2000));
  REQUIRE(answer.status == 200);
  const auto results = answer.json()["results"];
  REQUIRE(results.size() == 100);
  double last_media_time = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    INFO("tag " << i << ": " << results[i].dump());
    if (i == 40 || i == 70) {
      CHECK(results[i]["status"] == 422);
      CHECK(results[i]["error"]["code"] == "invalid");
      continue;
    }
    REQUIRE(results[i]["status"] == 201);
    CHECK(results[i]["tag"]["productId"] == "sku-" + std::to_string(i));
    const double media_time = results[i]["tag"]["mediaTime"].get<double>();
    CHECK(media_time >= last_media_time);  // stamped in the order given
    last_media_time = media_time;
  }
  CHECK(show.holder.call(bhttp::verb::get, show.tags + "?limit=200").json()["tags"].size() == 98);
}

TEST_CASE("a tag handed to another server is placed when asked, not at the holder's next look",
          "[integration][lifecycle][tags]") {
  ShowOnTwoServers show(
      api_test_config(fresh_database("lifecycle_tag_notify"), make_scratch_dir("media"), nullptr));
  ApiServer& holder = show.holder;
  ApiServer& other = show.other;
  const std::string& tags = show.tags;
  // The holder looks for asked tags once a second besides; notified, each of
  // these is placed and answered well within that. Without the notification
  // each tag after the first, posted just after the holder looked, would wait
  // nearly a second for its next look.
  int posted = 0;
  std::vector<long> took_ms;
  for (int i = 0; i < 5; ++i) {
    const auto start = Clock::now();
    const auto answer =
        other.call(bhttp::verb::post, tags,
                   R"({"productId": "sku-)" + std::to_string(++posted) + R"(", "action": "show"})");
    took_ms.push_back(static_cast<long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count()));
    INFO(answer.body);
    REQUIRE(answer.status == 201);
  }
  for (long ms : took_ms) {
    INFO("answered after " << ms << " ms");
    CHECK(ms < 600);
  }
  CHECK(holder.call(bhttp::verb::get, tags).json()["tags"].size() == 5);
}

TEST_CASE("an end waits at most 60 s for a holder that does not answer, then ends it once free",
          "[integration][lifecycle]") {
  const std::string media = make_scratch_dir("media");
  const auto config = api_test_config(fresh_database("lifecycle_silent_holder"), media, nullptr);
  ApiServer api(config);
  const auto stream = create(api, false);
  // Held by a server of a version that never reads what is asked of it.
  auto& streams = api.server.streams();
  streams.set_status(stream.id, db::StreamStatus::live, "publisher connected");
  REQUIRE(streams.claim(stream.id, "older:1", 10min));

  // Tags asked of it are never placed: after 5 s each caller hears so, and
  // the requests are withdrawn. At most 64 wait at once; the next is refused
  // at once rather than adding to the polling.
  const std::string tags = "/v1/streams/" + stream.id + "/tags";
  const auto tag_asked = Clock::now();
  std::vector<std::future<HttpAnswer>> waiting;
  for (int i = 0; i < 64; ++i)
    waiting.push_back(std::async(std::launch::async, [&api, &tags] {
      return api.call(bhttp::verb::post, tags, R"({"productId": "sku-1", "action": "show"})");
    }));
  std::this_thread::sleep_for(2s);  // all 64 asked
  const auto one_more =
      api.call(bhttp::verb::post, tags, R"({"productId": "sku-2", "action": "show"})");
  INFO(one_more.body);
  CHECK(one_more.status == 503);
  CHECK(one_more.json()["error"]["code"] == "unavailable");
  CHECK(Clock::now() - tag_asked < 4s);
  for (auto& answer : waiting) {
    const auto tag = answer.get();
    INFO(tag.body);
    CHECK(tag.status == 503);
    CHECK(tag.json()["error"]["code"] == "holder_not_answering");
  }
  CHECK(Clock::now() - tag_asked >= 5s);
  // Their places are free again.
  const auto free_again =
      api.call(bhttp::verb::post, tags, R"({"productId": "sku-3", "action": "show"})");
  CHECK(free_again.json()["error"]["code"] == "holder_not_answering");
  db::Database database(config.database);
  CHECK(db::TagRepository(database).take_asked("older:1").empty());

  auto answer = std::async(std::launch::async, [&] {
    return api.call(bhttp::verb::post, "/v1/streams/" + stream.id + "/end");
  });
  CHECK(skip_until([&] { return answer.wait_for(0s) == std::future_status::ready; }, 30s));
  const auto waited = answer.get();
  INFO(waited.body);
  CHECK(waited.status == 503);
  CHECK(waited.json()["error"]["code"] == "still_ending");
  CHECK(api.status_of(stream.id) == "live");

  // That server lets go (it stopped): the next call ends the stream here.
  streams.release("older:1");
  const auto ended = api.call(bhttp::verb::post, "/v1/streams/" + stream.id + "/end");
  INFO(ended.body);
  CHECK(ended.status == 200);
  CHECK(api.status_of(stream.id) == "ended");
  fs::remove_all(media);
}

namespace {

// The newest segment video.m3u8 lists, as the origin serves it.
std::string newest_video_segment(ApiServer& api, const std::string& id) {
  const auto playlist = http_request(api.server.origin_port(), bhttp::verb::get,
                                     "/live/" + id + "/video.m3u8", "", "");
  if (playlist.status != 200) return {};
  std::istringstream lines(playlist.body);
  std::string newest;
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && line[0] != '#') newest = line;
  return newest;
}

// A recording index names each init segment (EXT-X-MAP) and segment it
// holds: all of them, read back and joined in order, must decode cleanly. (The
// index itself is a live EVENT playlist that ffmpeg would wait on.)
void check_recorded(const fs::path& index) {
  REQUIRE(fs::exists(index));
  std::istringstream lines(read_file(index.string()));
  std::string joined;
  size_t segments = 0;
  for (std::string line; std::getline(lines, line);) {
    std::string name;
    if (line.rfind("#EXT-X-MAP:URI=\"", 0) == 0) {
      name = line.substr(16, line.find('"', 16) - 16);
    } else if (!line.empty() && line[0] != '#') {
      name = line;
      ++segments;
    }
    if (name.empty()) continue;
    REQUIRE(fs::exists(index.parent_path() / name));
    joined += read_file((index.parent_path() / name).string());
  }
  CHECK(segments > 0);
  const std::string copy = make_scratch_dir("recorded") + "/joined.mp4";
  std::ofstream(copy, std::ios::binary) << joined;
  int status = -1;
  const std::string errors = decode_errors(copy, &status);
  INFO(index << " (" << segments << " segments): " << errors);
  CHECK(status == 0);
  CHECK(errors.empty());
}

}  // namespace

TEST_CASE("a disk that fills during a show fails the recording, never the show",
          "[integration][lifecycle][disk]") {
  const std::string media = make_scratch_dir("disk_full");
  // A small filesystem of its own as the media root.
  std::string why_not;
  const auto disk = SmallDisk::mount(media, "2m", &why_not);
  if (!disk) {
    WARN("no tmpfs could be mounted here (" << why_not << "): the full disk is not tested");
    return;
  }
  WebhookReceiver hooks;
  ApiServer api(api_test_config(fresh_database("lifecycle_disk_full"), media, &hooks));
  const auto stream = create(api, true);
  auto publish = ffmpeg_publish(long_h264_aac_fixture().path, api.publish_url(stream.key));
  publish.insert(publish.begin() + 6, {"-stream_loop", "3"});  // before -i: about 48 s
  Process publisher(publish, make_scratch_dir("ffmpeg") + "/out.log");
  REQUIRE(api.wait_live(stream.id, true, 20s));

  // The recording fills the 2 MiB within seconds.
  const auto deadline = Clock::now() + 40s;
  while (disk->free_bytes() > 64 * 1024 && Clock::now() < deadline)
    std::this_thread::sleep_for(200ms);
  REQUIRE(disk->free_bytes() <= 64 * 1024);
  // Viewers carry on from memory: the live edge moves and its segments are served.
  const std::string when_full = newest_video_segment(api, stream.id);
  std::this_thread::sleep_for(5s);
  const std::string later = newest_video_segment(api, stream.id);
  CHECK_FALSE(when_full.empty());
  CHECK(later != when_full);
  const auto segment = http_request(api.server.origin_port(), bhttp::verb::get,
                                    "/live/" + stream.id + "/" + later, "", "");
  CHECK(segment.status == 200);
  CHECK(segment.body.size() > 1000);

  const auto ended = api.call(bhttp::verb::post, "/v1/streams/" + stream.id + "/end");
  REQUIRE(ended.status == 200);
  REQUIRE(hooks.wait_for(stream.id, "recording.failed", 10s));
  CHECK(hooks.delivered(stream.id, "recording.ready").empty());
  const auto failed = hooks.delivered(stream.id, "recording.failed")[0].json()["data"];
  const std::string reason = failed["reason"];
  INFO(reason);
  CHECK(reason.find("No space left on device") != std::string::npos);
  const auto answer = api.call(bhttp::verb::get, "/v1/streams/" + stream.id);
  REQUIRE(answer.status == 200);
  const auto recording = answer.json()["recording"];
  CHECK(recording["state"] == "failed");
  CHECK(recording["error"] == reason);

  // What was recorded before the disk filled is intact: the index names
  // only whole segments, which decode.
  const fs::path live = fs::path(media) / "live" / stream.id;
  check_recorded(live / "recording_video.m3u8");
  check_recorded(live / "recording_audio.m3u8");
  publisher.terminate();
}

TEST_CASE("a stopping server drains: not ready, new publishes refused, publishers told to go",
          "[integration][lifecycle]") {
  WebhookReceiver hooks;
  const std::string media = make_scratch_dir("media");
  auto config = api_test_config(fresh_database("lifecycle_drain"), media, &hooks);
  config.lifecycle.drain_delay = 2s;
  ApiServer api(config);
  const auto running = create(api, false);
  const auto late = create(api, false);
  Process publisher(ffmpeg_publish(long_h264_aac_fixture().path, api.publish_url(running.key)),
                    make_scratch_dir("ffmpeg") + "/out.log");
  REQUIRE(api.wait_live(running.id, true, 20s));
  CHECK(api.call(bhttp::verb::get, "/readyz", "", "").status == 200);

  std::thread stopping([&] { api.server.stop(); });
  std::this_thread::sleep_for(300ms);
  // Within the delay: a load balancer sees 503, a new publisher is refused
  // with a reason, the running one goes on.
  const auto ready = api.call(bhttp::verb::get, "/readyz", "", "");
  CHECK(ready.status == 503);
  CHECK(ready.json()["error"]["code"] == "draining");
  std::string out;
  const int refused =
      run_command(ffmpeg_publish(h264_aac_fixture().path, api.publish_url(late.key)), &out, 30s);
  INFO(out);
  CHECK(refused != 0);
  CHECK(out.find("The server is shutting down") != std::string::npos);
  CHECK(api.server.registry().is_live(running.id));
  stopping.join();

  // Then the publisher was told to go, and its stream waits for it elsewhere.
  // (ffmpeg prints the status only when it reads before its next write fails.)
  CHECK(publisher.wait(5s).has_value());
  CHECK(api.status_of(running.id) == "reconnecting");
  CHECK(api.status_of(late.id) == "ready");
  fs::remove_all(media);
}
