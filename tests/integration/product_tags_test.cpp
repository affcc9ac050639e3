// Product tags from the API to the media: a seller's show is published with
// ffmpeg, the backend places tags over HTTP, and the test reads them back
// where players find them: EXT-X-DATERANGE in both media playlists, the live
// MPD's EventStream, emsg boxes in the video fragments (decoded with
// ffprobe), the timeline API, and after the end the replay's playlists and MPD.
#include <catch2/catch.hpp>

#include <fstream>
#include <regex>

#include "control_api_harness.hpp"
#include "http_client.hpp"
#include "looplive/core/base64url.hpp"
#include "looplive/core/utc_text.hpp"
#include "manifest_checker.hpp"
#include "media_fixture.hpp"

using namespace looplive;
using namespace looplive::test;
using namespace std::chrono_literals;

namespace {

// The attributes of the EXT-X-DATERANGE line with this ID; empty when none.
std::map<std::string, std::string> daterange(const std::string& playlist, const std::string& id) {
  std::map<std::string, std::string> attributes;
  const std::string start = "#EXT-X-DATERANGE:ID=\"" + id + "\"";
  const auto at = playlist.find(start);
  if (at == std::string::npos) return attributes;
  const std::string line = playlist.substr(at, playlist.find('\n', at) - at);
  static const std::regex kAttribute(R"(([A-Z0-9-]+)=("[^"]*"|[^,]*))");
  for (std::sregex_iterator it(line.begin() + line.find(':') + 1, line.end(), kAttribute), end;
       it != end; ++it) {
    std::string value = (*it)[2];
    if (!value.empty() && value.front() == '"') value = value.substr(1, value.size() - 2);
    attributes[(*it)[1]] = value;
  }
  return attributes;
}

nlohmann::json tag_body(const std::string& product, const std::string& action,
                        nlohmann::json extra = nlohmann::json::object()) {
  extra["productId"] = product;
  extra["action"] = action;
  return extra;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("product tags reach playlists, manifests, fragments and the replay",
          "[integration][tags]") {
  const std::string media = make_scratch_dir("media");
  WebhookReceiver hooks;
  app::Config config = api_test_config(fresh_database("tags"), media, &hooks);
  config.api.tags_per_second = 5;  // a burst of 10, so the limit shows in a few requests
  config.webhooks.tag_aired = true;
  ApiServer api(config);
  HttpClient origin(api.server.origin_port());

  auto created = api.call(bhttp::verb::post, "/v1/streams", R"({"record": true})").json();
  const std::string id = created["streamId"];
  const std::string tags_path = "/v1/streams/" + id + "/tags";
  const std::string live = "/live/" + id + "/";

  // Before the show there is no timeline to place a tag on.
  auto early = api.call(bhttp::verb::post, tags_path, tag_body("shoe-1", "show").dump());
  CHECK(early.status == 409);
  CHECK(early.json()["error"]["code"] == "not_on_air");

  Process publisher({"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
                     "-stream_loop", "2", "-i", long_h264_aac_fixture().path, "-c", "copy", "-f",
                     "flv", api.publish_url(created["streamKey"])},
                    make_scratch_dir("ffmpeg") + "/out.log");
  REQUIRE(api.wait_live(id, true, 20s));
  const auto deadline = Clock::now() + 20s;
  while (Clock::now() < deadline && origin.get(live + "index.m3u8").status != 200)
    std::this_thread::sleep_for(100ms);
  REQUIRE(origin.get(live + "index.m3u8").status == 200);
  // Every version of the playlists and the MPD, tags and all, as the conformance checker sees it.
  ManifestWatcher watcher(api.server.origin_port(), id,
                          {"index.m3u8", "video.m3u8", "audio.m3u8", "manifest.mpd"}, 50ms);

  // Bad requests are refused with what is wrong, and take nothing.
  const auto refused = [&](const nlohmann::json& body, int status, const std::string& code) {
    auto answer = api.call(bhttp::verb::post, tags_path, body.dump());
    INFO(body.dump() << " -> " << answer.body);
    CHECK(answer.status == status);
    CHECK(answer.json()["error"]["code"] == code);
  };
  refused(tag_body("shoe-1", "wave"), 422, "invalid");
  refused(tag_body("shoe \"1\"", "show"), 422, "invalid");
  refused(tag_body("shoe-1", "show", {{"x", 1.5}}), 422, "invalid");
  refused(tag_body("shoe-1", "show", {{"colour", "red"}}), 422, "invalid");
  refused(tag_body("shoe-1", "hide", {{"durationMs", 1000}}), 422, "invalid");
  refused(tag_body("shoe-1", "show", {{"payload", {{"blob", std::string(17 * 1024, 'a')}}}}), 413,
          "payload_too_large");

  const nlohmann::json payload = {{"name", "Red shoe"}, {"price", "49.00"}, {"currency", "EUR"}};
  auto posted =
      api.call(bhttp::verb::post, tags_path,
               tag_body("shoe-1", "show", {{"payload", payload}, {"x", 0.25}, {"y", 0.75}}).dump());
  REQUIRE(posted.status == 201);
  const auto shoe = posted.json();
  INFO(shoe.dump());
  const std::string shoe_id = shoe["id"];
  CHECK(posted.headers[bhttp::field::location] == tags_path + "/" + shoe_id);
  CHECK(shoe["productId"] == "shoe-1");
  CHECK(shoe["payload"] == payload);
  CHECK(shoe["x"] == 0.25);
  const double shoe_time = shoe["mediaTime"];
  CHECK(shoe_time > 0);
  const auto pdt = core::parse_utc_ms(shoe["programDateTime"].get<std::string>());
  REQUIRE(pdt);
  // The program date time is the wall clock of the media time: now, give or take the buffer.
  CHECK(std::abs(*pdt - std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count()) < 5000);

  // A tag placed a minute ahead waits for its time, and can be taken back.
  auto ahead = api.call(bhttp::verb::post, tags_path,
                        tag_body("hat-2", "show", {{"mediaTime", shoe_time + 60}}).dump());
  REQUIRE(ahead.status == 201);
  CHECK(ahead.json()["mediaTime"].get<double>() == Approx(shoe_time + 60));
  const std::string ahead_id = ahead.json()["id"];

  // Within a part (500 ms) the tag is in both media playlists...
  std::this_thread::sleep_for(1500ms);
  const std::string cue = [&] {
    nlohmann::json c = {{"id", shoe_id},    {"productId", "shoe-1"},
                        {"action", "show"}, {"payload", payload},
                        {"x", 0.25},        {"y", 0.75}};
    return c.dump();
  }();
  for (const std::string name : {"video.m3u8", "audio.m3u8"}) {
    const auto playlist = origin.get(live + name).body;
    INFO(name << ":\n" << playlist);
    const auto range = daterange(playlist, "tag-" + shoe_id);
    REQUIRE_FALSE(range.empty());
    CHECK(range.at("CLASS") == "com.looplive.product");
    CHECK(range.at("X-PRODUCT-ID") == "shoe-1");
    CHECK(range.at("X-ACTION") == "show");
    CHECK(core::parse_utc_ms(range.at("START-DATE")) == pdt);
    CHECK_FALSE(range.contains("DURATION"));  // on screen until a hide
    CHECK(core::unbase64url(range.at("X-PAYLOAD")) == cue);
    CHECK(daterange(playlist, "tag-" + ahead_id).empty());
  }
  // ...and in the live MPD.
  const auto mpd = origin.get(live + "manifest.mpd").body;
  INFO(mpd);
  CHECK(contains(mpd, "<EventStream schemeIdUri=\"urn:looplive:tag:2026\""));
  CHECK(contains(mpd, "<Event id=\"" + shoe_id + "\" presentationTime=\"" +
                          std::to_string(std::llround(shoe_time * 1000)) + "\" duration=\""));
  CHECK(contains(mpd, "<InbandEventStream schemeIdUri=\"urn:looplive:tag:2026\""));

  // The backend hears that the tag is on air, once.
  REQUIRE(hooks.wait_for(id, "tag.aired", 5s));
  const auto aired = hooks.delivered(id, "tag.aired");
  REQUIRE(aired.size() == 1);
  const auto aired_data = aired.front().json()["data"];
  CHECK(aired_data["tagId"] == shoe_id);
  CHECK(aired_data["productId"] == "shoe-1");
  CHECK(aired_data["action"] == "show");
  CHECK(aired_data["mediaTime"].get<double>() == Approx(shoe_time));
  CHECK(aired_data["programDateTime"] == shoe["programDateTime"]);
  CHECK(aired.front().signature_valid());

  auto taken_back = api.call(bhttp::verb::delete_, tags_path + "/" + ahead_id);
  CHECK(taken_back.status == 204);
  auto on_air = api.call(bhttp::verb::delete_, tags_path + "/" + shoe_id);
  CHECK(on_air.status == 409);
  CHECK(on_air.json()["error"]["code"] == "tag_on_air");
  CHECK(api.call(bhttp::verb::delete_, tags_path + "/" + ahead_id).status == 404);

  // Two segments later: the fragment where the tag starts carries it, and
  // so does the start of every later segment while the card is on screen.
  std::this_thread::sleep_for(4500ms);
  const auto video = origin.get(live + "video.m3u8").body;
  const auto uris = segment_uris(video);
  REQUIRE(uris.size() >= 3);
  const std::string scratch = make_scratch_dir("tag-segments");
  static const std::regex kMap(R"re(#EXT-X-MAP:URI="([^"]+)")re");
  std::smatch map;
  REQUIRE(std::regex_search(video, map, kMap));
  const auto init_reply = origin.get(live + map[1].str());
  REQUIRE(init_reply.status == 200);
  const std::string init = init_reply.body;
  size_t carrying = 0;
  for (const auto& uri : uris) {
    const std::string segment = origin.get(live + uri).body;
    REQUIRE_FALSE(segment.empty());
    if (contains(segment, "urn:looplive:tag:2026") && contains(segment, cue) &&
        contains(segment, "https://aomedia.org/emsg/ID3") && contains(segment, "com.looplive.tag"))
      ++carrying;
    // Every segment with its init decodes without an error.
    const std::string file = scratch + "/" + uri + ".mp4";
    std::ofstream(file, std::ios::binary) << init << segment;
    int status = 0;
    const std::string errors = decode_errors(file, &status);
    INFO(uri << ": " << errors);
    CHECK(status == 0);
    CHECK(errors.empty());
  }
  const std::string newest = origin.get(live + uris.back()).body;
  CHECK(contains(newest, cue));  // a viewer joining now gets the card at once
  CHECK(carrying >= 2);

  // The hide ends the card: its range gets a duration, later segments stop repeating it.
  auto hidden = api.call(bhttp::verb::post, tags_path, tag_body("shoe-1", "hide").dump());
  REQUIRE(hidden.status == 201);
  const double hide_time = hidden.json()["mediaTime"];
  std::this_thread::sleep_for(1500ms);
  const auto after_hide = daterange(origin.get(live + "video.m3u8").body, "tag-" + shoe_id);
  REQUIRE(after_hide.contains("DURATION"));
  CHECK(std::stod(after_hide.at("DURATION")) == Approx(hide_time - shoe_time).margin(0.002));

  watcher.stop();
  const auto problems = watcher.problems();
  INFO(problems.size() << " problems, the first: " << (problems.empty() ? "" : problems[0]));
  CHECK(problems.empty());
  CHECK(watcher.versions("video.m3u8") > 10);

  // The timeline, paged.
  auto first_page = api.call(bhttp::verb::get, tags_path + "?limit=1").json();
  REQUIRE(first_page["tags"].size() == 1);
  CHECK(first_page["tags"][0]["id"] == shoe_id);
  REQUIRE(first_page["nextCursor"].is_string());
  auto second_page =
      api.call(bhttp::verb::get,
               tags_path + "?limit=1&cursor=" + first_page["nextCursor"].get<std::string>())
          .json();
  REQUIRE(second_page["tags"].size() == 1);
  CHECK(second_page["tags"][0]["action"] == "hide");
  CHECK(second_page["nextCursor"].is_null());
  CHECK(api.call(bhttp::verb::get, tags_path + "?cursor=nonsense").status == 422);

  // The rate: a burst of twice the per-second figure passes, then 429.
  std::this_thread::sleep_for(2500ms);  // the bucket fills again
  int accepted = 0, limited = 0;
  std::string retry_after;
  for (int i = 0; i < 16; ++i) {
    auto answer = api.call(bhttp::verb::post, tags_path,
                           tag_body("sock-" + std::to_string(i), "update").dump());
    if (answer.status == 201) ++accepted;
    if (answer.status == 429) {
      ++limited;
      retry_after = answer.headers[bhttp::field::retry_after];
      CHECK(answer.json()["error"]["code"] == "rate_limited");
    }
  }
  CHECK(accepted >= 10);
  CHECK(accepted <= 12);
  CHECK(limited == 16 - accepted);
  CHECK(retry_after == "1");

  // After the end: no new tags, the timeline stays, the replay carries them.
  std::this_thread::sleep_for(2500ms);  // past the rate limit again
  REQUIRE(api.call(bhttp::verb::post, "/v1/streams/" + id + "/end").status == 200);
  auto late = api.call(bhttp::verb::post, tags_path, tag_body("shoe-1", "show").dump());
  CHECK(late.status == 409);
  CHECK(late.json()["error"]["code"] == "stream_ended");
  CHECK(api.call(bhttp::verb::get, tags_path + "?limit=1000").json()["tags"].size() ==
        2 + static_cast<size_t>(accepted));
  // The stream itself says how many tags it has, and when each card was on screen.
  const auto ended = api.call(bhttp::verb::get, "/v1/streams/" + id).json();
  INFO(ended.dump());
  CHECK(ended["tags"]["count"] == 2 + accepted);
  CHECK(ended["tags"]["url"] == tags_path);
  const auto& chapters = ended["tags"]["chapters"];
  REQUIRE(chapters.size() == 1 + static_cast<size_t>(accepted));
  CHECK(chapters[0]["productId"] == "shoe-1");
  CHECK(chapters[0]["start"].get<double>() == Approx(shoe_time));
  CHECK(chapters[0]["end"].get<double>() == Approx(hide_time));
  CHECK(chapters[1]["end"].is_null());  // a sock's card, never hidden
  const std::string vods = media + "/vods/";
  const std::string vod_video = read_file(vods + id + "_video.m3u8");
  INFO(vod_video);
  CHECK(daterange(vod_video, "tag-" + shoe_id).contains("DURATION"));
  const std::string vod_mpd = read_file(vods + id + ".mpd");
  CHECK(contains(vod_mpd, "<Event id=\"" + shoe_id + "\""));
  CHECK(contains(vod_mpd, "<InbandEventStream"));
  // The MP4 download: every tag a chapter at its time.
  std::string probe;
  REQUIRE(
      run_command({"ffprobe", "-v", "error", "-show_chapters", "-of", "json", vods + id + ".mp4"},
                  &probe) == 0);
  const auto chapters_json = nlohmann::json::parse(probe.substr(probe.find('{')), nullptr, false);
  INFO(probe);
  REQUIRE(chapters_json.contains("chapters"));
  const auto& mp4_chapters = chapters_json["chapters"];
  REQUIRE(mp4_chapters.size() == 3 + static_cast<size_t>(accepted));
  CHECK(mp4_chapters[0]["tags"]["title"] == "start");
  CHECK(mp4_chapters[1]["tags"]["title"] == "show shoe-1");
  CHECK(std::stod(mp4_chapters[1]["start_time"].get<std::string>()) ==
        Approx(shoe_time).margin(0.002));
  CHECK(mp4_chapters[2]["tags"]["title"] == "hide shoe-1");
  CHECK(std::stod(mp4_chapters[2]["start_time"].get<std::string>()) ==
        Approx(hide_time).margin(0.002));
}

TEST_CASE("a batch of tags places each on its stream and refuses each bad one alone",
          "[integration][tags]") {
  const std::string media = make_scratch_dir("media");
  app::Config config = api_test_config(fresh_database("tag_batch"), media, nullptr);
  config.api.tags_per_second = 5;  // a burst of 10
  ApiServer api(config);
  HttpClient origin(api.server.origin_port());
  auto created = api.call(bhttp::verb::post, "/v1/streams", R"({"record": false})").json();
  const std::string id = created["streamId"];
  const std::string waiting =
      api.call(bhttp::verb::post, "/v1/streams", R"({"record": false})").json()["streamId"];
  Process publisher({"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
                     "-stream_loop", "2", "-i", long_h264_aac_fixture().path, "-c", "copy", "-f",
                     "flv", api.publish_url(created["streamKey"])},
                    make_scratch_dir("ffmpeg") + "/out.log");
  REQUIRE(api.wait_live(id, true, 20s));
  const std::string live = "/live/" + id + "/";
  const auto deadline = Clock::now() + 20s;
  while (Clock::now() < deadline && origin.get(live + "index.m3u8").status != 200)
    std::this_thread::sleep_for(100ms);
  REQUIRE(origin.get(live + "index.m3u8").status == 200);

  // The envelope is checked whole.
  for (const std::string body :
       {R"({})", R"({"tags": []})", R"({"tags": {}})", R"({"tags": [], "extra": 1})"}) {
    const auto answer = api.call(bhttp::verb::post, "/v1/tags", body);
    INFO(body << " -> " << answer.body);
    CHECK(answer.status == 422);
  }
  nlohmann::json too_many = {{"tags", nlohmann::json::array()}};
  for (int i = 0; i < 101; ++i)
    too_many["tags"].push_back({{"streamId", id}, {"productId", "p"}, {"action", "show"}});
  CHECK(api.call(bhttp::verb::post, "/v1/tags", too_many.dump()).status == 422);

  // Each tag answers as the single POST would, in the order given.
  const auto tag = [](const std::string& stream, const std::string& product,
                      const std::string& action, nlohmann::json extra = nlohmann::json::object()) {
    if (!stream.empty()) extra["streamId"] = stream;
    extra["productId"] = product;
    extra["action"] = action;
    return extra;
  };
  const nlohmann::json payload = {{"name", "Blue \"denim\" jacket"}, {"price", "89.00"}};
  nlohmann::json batch = {
      {"tags",
       {tag(id, "jacket-1", "show", {{"payload", payload}, {"x", 0.5}}),
        tag(waiting, "jacket-1", "show"),
        tag("00000000-0000-4000-8000-000000000000", "jacket-1", "show"),
        tag(id, "jacket-1", "wave"), tag("", "jacket-1", "show"),
        tag(id, "jacket-1", "show", {{"payload", {{"blob", std::string(17 * 1024, 'a')}}}}),
        tag(id, "scarf-2", "show", {{"durationMs", 3000}})}}};
  const auto answer = api.call(bhttp::verb::post, "/v1/tags", batch.dump());
  INFO(answer.body);
  REQUIRE(answer.status == 200);
  const auto results = answer.json()["results"];
  REQUIRE(results.size() == 7);
  const auto status = [&](size_t i) { return results[i]["status"].get<int>(); };
  const auto code = [&](size_t i) { return results[i]["error"]["code"].get<std::string>(); };
  CHECK(status(0) == 201);
  CHECK(status(1) == 409);
  CHECK(code(1) == "not_on_air");
  CHECK(status(2) == 404);
  CHECK(status(3) == 422);
  CHECK(code(3) == "invalid");
  CHECK(status(4) == 422);
  CHECK(status(5) == 413);
  CHECK(code(5) == "payload_too_large");
  CHECK(status(6) == 201);
  const auto jacket = results[0]["tag"];
  const auto scarf = results[6]["tag"];
  CHECK(jacket["productId"] == "jacket-1");
  CHECK(jacket["payload"] == payload);
  CHECK(jacket["x"] == 0.5);
  CHECK(scarf["durationMs"] == 3000);
  // Stamped in the order given, each with the next frame to be packaged.
  CHECK(jacket["mediaTime"].get<double>() <= scarf["mediaTime"].get<double>());
  CHECK(std::stoull(jacket["id"].get<std::string>()) < std::stoull(scarf["id"].get<std::string>()));

  // Both are on the timeline and on air, as tags posted one by one are.
  const auto timeline = api.call(bhttp::verb::get, "/v1/streams/" + id + "/tags").json()["tags"];
  REQUIRE(timeline.size() == 2);
  CHECK(timeline[0]["id"] == jacket["id"]);
  CHECK(timeline[1]["id"] == scarf["id"]);
  std::this_thread::sleep_for(1500ms);
  const auto playlist = origin.get(live + "video.m3u8").body;
  INFO(playlist);
  const auto jacket_range = daterange(playlist, "tag-" + jacket["id"].get<std::string>());
  REQUIRE_FALSE(jacket_range.empty());
  CHECK(jacket_range.at("X-PRODUCT-ID") == "jacket-1");
  CHECK(core::parse_utc_ms(jacket_range.at("START-DATE")) ==
        core::parse_utc_ms(jacket["programDateTime"].get<std::string>()));
  CHECK_FALSE(daterange(playlist, "tag-" + scarf["id"].get<std::string>()).empty());

  // The stream's rate counts every tag of a batch: of 12 with the burst
  // full again, 10 are placed and the last two refused.
  std::this_thread::sleep_for(2100ms);
  nlohmann::json burst = {{"tags", nlohmann::json::array()}};
  for (int i = 0; i < 12; ++i)
    burst["tags"].push_back(tag(id, "sku-" + std::to_string(i), "update"));
  const auto limited = api.call(bhttp::verb::post, "/v1/tags", burst.dump());
  INFO(limited.body);
  REQUIRE(limited.status == 200);
  const auto limited_results = limited.json()["results"];
  REQUIRE(limited_results.size() == 12);
  for (size_t i = 0; i < 12; ++i) {
    INFO(i);
    CHECK(limited_results[i]["status"] == (i < 10 ? 201 : 429));
  }
  CHECK(limited_results[11]["error"]["code"] == "rate_limited");
  CHECK(api.call(bhttp::verb::get, "/v1/streams/" + id + "/tags").json()["tags"].size() == 12);
  publisher.terminate();
}

TEST_CASE("a stream deleted between a batch's stamping and storing fails alone",
          "[integration][tags]") {
  const std::string media = make_scratch_dir("media");
  ApiServer api(api_test_config(fresh_database("tag_batch_deleted"), media, nullptr));
  HttpClient origin(api.server.origin_port());
  std::vector<std::string> ids;
  std::vector<std::unique_ptr<Process>> publishers;
  for (int i = 0; i < 2; ++i) {
    auto created = api.call(bhttp::verb::post, "/v1/streams", R"({"record": false})").json();
    ids.push_back(created["streamId"]);
    publishers.push_back(std::make_unique<Process>(
        std::vector<std::string>{"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
                                 "-i", long_h264_aac_fixture().path, "-c", "copy", "-f", "flv",
                                 api.publish_url(created["streamKey"])},
        make_scratch_dir("ffmpeg") + "/out.log"));
  }
  for (const std::string& id : ids) {
    REQUIRE(api.wait_live(id, true, 20s));
    const auto deadline = Clock::now() + 20s;
    while (Clock::now() < deadline && origin.get("/live/" + id + "/index.m3u8").status != 200)
      std::this_thread::sleep_for(100ms);
  }
  // The second stream's row goes while its show is still packaged, so its
  // tag is stamped and the one statement storing the batch fails: each tag
  // is then stored alone, and only that stream's is refused.
  REQUIRE(api.server.streams().remove(ids[1]));
  nlohmann::json batch = {{"tags", nlohmann::json::array()}};
  for (const std::string& id : {ids[0], ids[1], ids[0]})
    batch["tags"].push_back({{"streamId", id}, {"productId", "sku"}, {"action", "show"}});
  const auto answer = api.call(bhttp::verb::post, "/v1/tags", batch.dump());
  INFO(answer.body);
  REQUIRE(answer.status == 200);
  const auto results = answer.json()["results"];
  REQUIRE(results.size() == 3);
  CHECK(results[0]["status"] == 201);
  CHECK(results[1]["status"] == 404);
  CHECK(results[1]["error"]["code"] == "not_found");
  CHECK(results[2]["status"] == 201);
  const auto timeline = api.call(bhttp::verb::get, "/v1/streams/" + ids[0] + "/tags").json();
  REQUIRE(timeline["tags"].size() == 2);
  CHECK(timeline["tags"][0]["id"] == results[0]["tag"]["id"]);
  CHECK(timeline["tags"][1]["id"] == results[2]["tag"]["id"]);
}
