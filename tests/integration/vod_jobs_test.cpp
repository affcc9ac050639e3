// VOD packaging jobs end to end: an upload made with ffmpeg is placed in the
// import folder, the backend queues a job over the API, and the test reads
// what players and the backend get: the multivariant playlist, the MPD, the
// MP4 and the poster from the origin (decoded with ffmpeg and ffprobe), the
// job's state and figures, and the signed webhooks. Bad inputs each fail with
// their reason and leave nothing under vods/; a job interrupted by a
// shutdown runs again after the restart; a job deleted through another server
// loses its folder where it ran; hls.js and dash.js play a packaged
// upload on a lower rung, without a stall, when the bandwidth is scarce.
#include <catch2/catch.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <filesystem>
#include <fstream>

#include "control_api_harness.hpp"
#include "http_client.hpp"
#include "media_fixture.hpp"
#include "player_report.hpp"
#include "process.hpp"

using namespace looplive;
using namespace looplive::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

app::Config vod_config(const std::string& name, const std::string& media, const fs::path& import,
                       const WebhookReceiver* hooks) {
  app::Config config = api_test_config(fresh_database(name), media, hooks);
  config.vod.import_dir = import.string();
  config.vod.rungs = {{360, 600'000}, {240, 300'000}};
  config.vod.threads = 1;
  config.vod.preset = "ultrafast";
  return config;
}

// An HTTP source that takes the connection and never answers: a job on it
// holds a worker until the source times out (vod.io_timeout_ms).
struct SilentSource {
  net::io_context io;
  net::ip::tcp::acceptor acceptor{io, {net::ip::make_address("127.0.0.1"), 0}};
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/video.mp4";
  }
};

nlohmann::json job_of(ApiServer& api, const std::string& id) {
  return api.call(bhttp::verb::get, "/v1/vod/jobs/" + id).json();
}

// The job once it is ready or failed; its last state when that takes too long.
nlohmann::json wait_done(ApiServer& api, const std::string& id,
                         std::chrono::seconds timeout = 180s) {
  const auto deadline = Clock::now() + timeout;
  nlohmann::json job;
  while (Clock::now() < deadline) {
    job = job_of(api, id);
    if (job["state"] == "ready" || job["state"] == "failed") break;
    std::this_thread::sleep_for(100ms);
  }
  return job;
}

std::string post_job(ApiServer& api, const nlohmann::json& body) {
  auto answer = api.call(bhttp::verb::post, "/v1/vod/jobs", body.dump());
  INFO(answer.body);
  REQUIRE(answer.status == 201);
  return answer.json()["id"];
}

// A job on `source` that runs (holding a worker) before this returns its id.
std::string hold_worker(ApiServer& api, const SilentSource& source) {
  const std::string stuck = post_job(api, {{"source", source.url()}});
  const auto deadline = Clock::now() + 20s;
  while (Clock::now() < deadline && job_of(api, stuck)["state"] == "queued")
    std::this_thread::sleep_for(20ms);
  REQUIRE(job_of(api, stuck)["state"] == "running");
  return stuck;
}

std::vector<ReceivedHook> hooks_of(const WebhookReceiver& hooks, const std::string& id,
                                   const std::string& type) {
  std::vector<ReceivedHook> out;
  for (auto& hook : hooks.received())
    if (hook.type == type && hook.json()["data"]["id"] == id) out.push_back(hook);
  return out;
}

// The path below the playback base of a public URL.
std::string path_of(const std::string& url) {
  const std::string base = "https://video.example.com";
  REQUIRE(url.starts_with(base));
  return url.substr(base.size());
}

size_t entries_in(const fs::path& dir) {
  std::error_code error;
  if (!fs::exists(dir, error)) return 0;
  return static_cast<size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

}  // namespace

TEST_CASE("a VOD job packages an upload as adaptive HLS, DASH, an MP4 and a poster",
          "[integration][vod]") {
  ScratchDir media("media");
  ScratchDir import("import");
  make_upload(import.path() / "product.mp4", 6);
  WebhookReceiver hooks;
  ApiServer api(vod_config("vod_ready", media.path().string(), import.path(), &hooks));
  HttpClient origin(api.server.origin_port());

  const std::string id = post_job(
      api, {{"source", "product.mp4"}, {"metadata", {{"sku", "shoe-1"}}}, {"posterAtSeconds", 1}});
  const nlohmann::json job = wait_done(api, id);
  INFO(job.dump(2));
  REQUIRE(job["state"] == "ready");
  CHECK(job["percent"] == 100);
  CHECK(job["metadata"]["sku"] == "shoe-1");
  CHECK(job["error"].is_null());
  CHECK(job["probe"]["width"] == 640);
  CHECK(job["probe"]["height"] == 360);
  CHECK(job["probe"]["videoCodec"] == "h264");
  CHECK(job["probe"]["durationSeconds"].get<double>() == Approx(6).margin(0.2));
  const nlohmann::json& outputs = job["outputs"];
  CHECK(outputs["hls"] == "https://video.example.com/vods/" + id + "/index.m3u8");
  CHECK(outputs["dash"] == "https://video.example.com/vods/" + id + "/manifest.mpd");
  CHECK(outputs["durationSeconds"].get<double>() == Approx(6).margin(0.2));
  REQUIRE(outputs["renditions"].size() == 2);
  CHECK(outputs["renditions"][0]["height"] == 360);
  CHECK(outputs["renditions"][0]["width"] == 640);
  CHECK(outputs["renditions"][1]["height"] == 240);
  // Measured from the segments: below the rung's cap, far above nothing.
  CHECK(outputs["renditions"][1]["bitRate"].get<uint64_t>() > 50'000);
  CHECK(outputs["renditions"][1]["bitRate"].get<uint64_t>() < 450'000);
  CHECK(outputs["audio"]["codecs"] == "mp4a.40.2");

  // What a player loads, from the origin.
  const auto multivariant = origin.get(path_of(outputs["hls"]));
  REQUIRE(multivariant.status == 200);
  CHECK(count_of(multivariant.body, "#EXT-X-STREAM-INF") == 2);
  CHECK(count_of(multivariant.body, "RESOLUTION=426x240") == 1);
  const auto video = origin.get("/vods/" + id + "/video.m3u8");
  REQUIRE(video.status == 200);
  CHECK(count_of(video.body, "#EXT-X-ENDLIST") == 1);
  CHECK(count_of(video.body, "../") == 0);  // the folder stands alone
  const auto mpd = origin.get(path_of(outputs["dash"]));
  REQUIRE(mpd.status == 200);
  CHECK(count_of(mpd.body, "type=\"static\"") == 1);
  CHECK(origin.get("/vods/" + id + "/recording_video.m3u8").status == 404);

  int status = -1;
  const std::string base = "http://127.0.0.1:" + std::to_string(api.server.origin_port());
  CHECK(decode_errors(base + path_of(outputs["hls"]), &status).empty());
  CHECK(status == 0);
  CHECK(decode_errors(base + path_of(outputs["mp4"]), &status).empty());
  CHECK(status == 0);
  std::string probed;
  REQUIRE(run_command({"ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height",
                       "-of", "csv=p=0", base + path_of(outputs["poster"])},
                      &probed) == 0);
  CHECK(probed.find("mjpeg,640,360") != std::string::npos);
  std::string duration;
  REQUIRE(run_command({"ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
                       "csv=p=0", base + path_of(outputs["mp4"])},
                      &duration) == 0);
  CHECK(std::stod(duration) == Approx(6).margin(0.2));

  // The backend hears of it, signed.
  const auto deadline = Clock::now() + 10s;
  while (Clock::now() < deadline && hooks_of(hooks, id, "vod.ready").empty())
    std::this_thread::sleep_for(20ms);
  const auto ready = hooks_of(hooks, id, "vod.ready");
  REQUIRE(ready.size() == 1);
  CHECK(ready[0].signature_valid());
  CHECK(ready[0].json()["data"]["outputs"]["hls"] == outputs["hls"]);

  // Listed, then deleted with its files.
  const auto listed = api.call(bhttp::verb::get, "/v1/vod/jobs?limit=1").json();
  REQUIRE(listed["jobs"].size() == 1);
  CHECK(listed["jobs"][0]["id"] == id);
  CHECK(api.call(bhttp::verb::delete_, "/v1/vod/jobs/" + id).status == 204);
  CHECK(api.call(bhttp::verb::get, "/v1/vod/jobs/" + id).status == 404);
  CHECK(origin.get(path_of(outputs["hls"])).status == 404);
  CHECK(!fs::exists(media.path() / "vods" / id));
  CHECK(api.call(bhttp::verb::delete_, "/v1/vod/jobs/" + id).status == 404);
  // Its id is never given to another job: a CDN may still hold its files.
  const auto reused = api.call(bhttp::verb::post, "/v1/vod/jobs",
                               nlohmann::json{{"id", id}, {"source", "clip.mp4"}}.dump());
  CHECK(reused.status == 409);
  CHECK(reused.body.find("removed") != std::string::npos);
}

TEST_CASE("bad VOD sources fail with their reason and leave nothing to serve",
          "[integration][vod]") {
  ScratchDir media("media");
  ScratchDir import("import");
  make_upload(import.path() / "long.mp4", 6);
  std::ofstream(import.path() / "empty.mp4").close();
  std::ofstream(import.path() / "notes.txt") << "not a video at all\n";
  make_upload(import.path() / "full.mp4", 4, {"-movflags", "+faststart"});
  {
    // Half the bytes of a file whose index comes first: it opens, its media stops early.
    const auto size = fs::file_size(import.path() / "full.mp4");
    std::ifstream in(import.path() / "full.mp4", std::ios::binary);
    std::string bytes(size / 2, '\0');
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    std::ofstream(import.path() / "truncated.mp4", std::ios::binary) << bytes;
  }
  std::string out;
  REQUIRE(run_command({"ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                       "sine=frequency=440:sample_rate=44100", "-t", "2", "-c:a", "aac",
                       (import.path() / "song.m4a").string()},
                      &out) == 0);
  // A server that takes the connection and never answers.
  net::io_context silent_io;
  net::ip::tcp::acceptor silent(silent_io, {net::ip::make_address("127.0.0.1"), 0});
  const std::string silent_url =
      "http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/video.mp4";

  WebhookReceiver hooks;
  app::Config config = vod_config("vod_bad", media.path().string(), import.path(), &hooks);
  config.vod.max_duration_seconds = 5;
  config.vod.io_timeout = 1500ms;
  ApiServer api(config);

  // Refused at the door: what can never work.
  for (const nlohmann::json& body :
       {nlohmann::json{{"source", "../etc/passwd"}}, nlohmann::json{{"source", "/etc/passwd"}},
        nlohmann::json{{"source", "ftp://example.com/a.mp4"}}, nlohmann::json{{"source", ""}},
        nlohmann::json::object(), nlohmann::json{{"source", "a.mp4"}, {"colour", "red"}},
        nlohmann::json{{"source", "a.mp4"}, {"rungs", {"720x"}}}}) {
    const auto answer = api.call(bhttp::verb::post, "/v1/vod/jobs", body.dump());
    INFO(body.dump() << " -> " << answer.body);
    CHECK(answer.status == 422);
  }

  const std::vector<std::pair<std::string, std::string>> cases{
      {"empty.mp4", "empty"},          {"notes.txt", "not a media file"},
      {"song.m4a", "no video"},        {"truncated.mp4", "truncated"},
      {"missing.mp4", "no such file"}, {"long.mp4", "at most 5 s"},
      {silent_url, "timed out"},
  };
  std::vector<std::string> ids;
  for (const auto& [source, reason] : cases) ids.push_back(post_job(api, {{"source", source}}));
  for (size_t i = 0; i < cases.size(); ++i) {
    const nlohmann::json job = wait_done(api, ids[i], 60s);
    INFO(cases[i].first << ": " << job.dump());
    CHECK(job["state"] == "failed");
    CHECK(job["outputs"].is_null());
    const std::string error = job["error"].is_string() ? job["error"].get<std::string>() : "";
    CHECK_THAT(error, Catch::Contains(cases[i].second, Catch::CaseSensitive::No));
  }
  const auto deadline = Clock::now() + 10s;
  while (Clock::now() < deadline && hooks_of(hooks, ids.back(), "vod.failed").empty())
    std::this_thread::sleep_for(20ms);
  for (const std::string& id : ids) CHECK(hooks_of(hooks, id, "vod.failed").size() == 1);
  CHECK(entries_in(media.path() / "vods") == 0);
  CHECK(entries_in(media.path() / "vod-work" / "live") == 0);
}

TEST_CASE("a full VOD queue answers 429 full until a waiting job (an HTTP upload) has run",
          "[integration][vod]") {
  ScratchDir media("media");
  ScratchDir import("import");
  make_upload(import.path() / "short.mp4", 2, {"-movflags", "+faststart"});
  // The upload over HTTP, as a backend's storage would serve it.
  const uint16_t files_port = free_port();
  Process files({"python3", "-m", "http.server", std::to_string(files_port), "--bind", "127.0.0.1",
                 "--directory", import.path().string()},
                (import.path() / "http.log").string());
  const std::string upload_url = "http://127.0.0.1:" + std::to_string(files_port) + "/short.mp4";
  // A server that takes the connection and never answers: a job on it holds
  // the one worker until the source times out.
  SilentSource silent;
  app::Config config = vod_config("vod_full", media.path().string(), import.path(), nullptr);
  config.vod.workers = 1;
  config.vod.max_queued = 1;
  config.vod.io_timeout = 3000ms;
  ApiServer api(config);

  const std::string stuck = hold_worker(api, silent);  // running jobs do not count
  const auto listening_by = Clock::now() + 20s;
  while (!accepts_connections(files_port) && Clock::now() < listening_by)
    std::this_thread::sleep_for(50ms);
  const std::string waiting = post_job(api, {{"source", upload_url}});
  const auto refused =
      api.call(bhttp::verb::post, "/v1/vod/jobs", nlohmann::json{{"source", "short.mp4"}}.dump());
  INFO(refused.body);
  CHECK(refused.status == 429);
  CHECK(refused.json()["error"]["code"] == "full");

  CHECK(wait_done(api, stuck, 30s)["state"] == "failed");
  const nlohmann::json fetched = wait_done(api, waiting);
  INFO(fetched.dump());
  CHECK(fetched["state"] == "ready");
  CHECK(fetched["probe"]["durationSeconds"].get<double>() == Approx(2).margin(0.2));
  CHECK(fs::exists(media.path() / "vods" / waiting / "index.m3u8"));
  post_job(api, {{"source", "short.mp4"}});  // the queue takes jobs again
}

TEST_CASE("one API token's queued jobs cannot keep another token's out", "[integration][vod]") {
  ScratchDir media("media");
  ScratchDir import("import");
  app::Config config = vod_config("vod_clients", media.path().string(), import.path(), nullptr);
  const std::string other_token = "another-backend-token-0123";
  config.api.tokens.push_back(other_token);
  // A source that never answers holds the one worker, so the rest stay queued.
  SilentSource silent;
  config.vod.workers = 1;
  config.vod.io_timeout = 60s;
  config.vod.max_queued_per_client = 2;
  ApiServer api(config);
  hold_worker(api, silent);  // running jobs do not count
  const auto post = [&](const std::string& token) {
    return api.call(bhttp::verb::post, "/v1/vod/jobs",
                    nlohmann::json{{"source", "clip.mp4"}}.dump(), token);
  };
  CHECK(post(kApiToken).status == 201);
  CHECK(post(kApiToken).status == 201);
  const auto refused = post(kApiToken);
  INFO(refused.body);
  CHECK(refused.status == 429);
  CHECK(refused.json()["error"]["code"] == "full");
  CHECK(refused.json()["error"]["message"].get<std::string>().find("vod.max_queued_per_client") !=
        std::string::npos);
  // The other client's share is untouched by the first one's.
  CHECK(post(other_token).status == 201);
  CHECK(post(other_token).status == 201);
  CHECK(post(other_token).status == 429);
  // What identifies a client in the database is never its token.
  const auto listed = api.call(bhttp::verb::get, "/v1/vod/jobs").json();
  CHECK(listed.dump().find(other_token) == std::string::npos);
}

TEST_CASE("a VOD job interrupted by a shutdown runs again after the restart",
          "[integration][vod]") {
  ScratchDir media("media");
  ScratchDir import("import");
  make_upload(import.path() / "long.mp4", 20);
  const db::DatabaseConfig database = fresh_database("vod_restart");
  app::Config config = api_test_config(database, media.path().string(), nullptr);
  config.vod.import_dir = import.path().string();
  config.vod.rungs = {{360, 600'000}, {240, 300'000}};
  config.vod.threads = 1;
  config.vod.preset = "medium";  // slow enough to be caught running

  std::string id;
  {
    ApiServer api(config);
    id = post_job(api, {{"source", "long.mp4"}});
    const auto deadline = Clock::now() + 60s;
    nlohmann::json job;
    while (Clock::now() < deadline) {
      job = job_of(api, id);
      if (job["state"] != "queued") break;
      std::this_thread::sleep_for(20ms);
    }
    REQUIRE(job["state"] == "running");
  }
  {
    // Stopped mid-way: back in the queue, nothing published.
    config.vod.workers = 0;
    ApiServer idle(config);
    const auto job = idle.call(bhttp::verb::get, "/v1/vod/jobs/" + id);
    CHECK(job.status == 503);  // no workers: no VOD jobs on this server
  }
  CHECK(!fs::exists(media.path() / "vods" / id));
  config.vod.workers = 1;
  config.vod.preset = "ultrafast";
  ApiServer api(config);
  const nlohmann::json job = wait_done(api, id);
  INFO(job.dump());
  CHECK(job["state"] == "ready");
  CHECK(job["attempts"] == 2);
  CHECK(fs::exists(media.path() / "vods" / id / "index.m3u8"));
}

TEST_CASE("a job deleted through another server loses its folder where it ran",
          "[integration][vod]") {
  // Two servers sharing the database, each with a disk of its own.
  ScratchDir media("media");
  ScratchDir other_media("media");
  ScratchDir import("import");
  make_upload(import.path() / "short.mp4", 4);
  app::Config config =
      vod_config("vod_delete_elsewhere", media.path().string(), import.path(), nullptr);
  config.vod.rungs = {{240, 300'000}};
  config.vod.deleted_sweep = 1000ms;
  ApiServer ran(config);
  const std::string deleted = post_job(ran, {{"source", "short.mp4"}});
  const std::string kept = post_job(ran, {{"source", "short.mp4"}});
  for (const std::string& id : {deleted, kept}) {
    const nlohmann::json job = wait_done(ran, id);
    INFO(job.dump());
    REQUIRE(job["state"] == "ready");
    REQUIRE(fs::exists(media.path() / "vods" / id / "index.m3u8"));
  }
  fs::create_directories(media.path() / "vods" / "not-a-job");

  config.packager.media_root = other_media.path().string();
  ApiServer other(config);
  CHECK(other.call(bhttp::verb::delete_, "/v1/vod/jobs/" + deleted).status == 204);
  CHECK(other.call(bhttp::verb::get, "/v1/vod/jobs/" + deleted).status == 404);
  // The server that ran it looks at least every idle worker wake-up (5 s).
  const auto deadline = Clock::now() + 15s;
  while (Clock::now() < deadline && fs::exists(media.path() / "vods" / deleted))
    std::this_thread::sleep_for(100ms);
  CHECK_FALSE(fs::exists(media.path() / "vods" / deleted));
  CHECK(fs::exists(media.path() / "vods" / kept / "index.m3u8"));
  CHECK(fs::exists(media.path() / "vods" / "not-a-job"));
  CHECK(ran.call(bhttp::verb::get, "/v1/vod/jobs/" + kept).status == 200);
}

TEST_CASE("hls.js and dash.js play a packaged upload's lower rungs when throttled, without a stall",
          "[integration][vod][player]") {
  ScratchDir media("media");
  ScratchDir import("import");
  make_upload(import.path() / "long.mp4", 40);
  app::Config config = vod_config("vod_play", media.path().string(), import.path(), nullptr);
  config.vod.rungs = {{360, 800'000}, {240, 300'000}, {144, 150'000}};
  ApiServer api(config);
  const std::string id = post_job(api, {{"source", "long.mp4"}});
  const nlohmann::json job = wait_done(api, id);
  INFO(job.dump());
  REQUIRE(job["state"] == "ready");
  const std::string base = "http://127.0.0.1:" + std::to_string(api.server.origin_port());
  // Throttled from the player's first request: at loopback speed a replay
  // player fills half a minute of buffer at once and never needs another
  // rung. At 400 kbit/s the top rung with its audio (about 0.9 Mbit/s) cannot
  // keep up; the smallest (about 0.28 Mbit/s) can.
  for (const auto& [kind, url] : std::vector<std::pair<std::string, std::string>>{
           {"hls", path_of(job["outputs"]["hls"])}, {"dash", path_of(job["outputs"]["dash"])}}) {
    INFO(kind);
    const auto report =
        run_player("ladder.mjs", {kind, base + url, "0", "30", "400"}, "vod-play-" + kind, 150s);
    INFO(report.dump());
    std::printf("VOD ladder playback %s: %s\n", kind.c_str(), report.dump().c_str());
    int last = 0;
    int stalled_ms = 0;
    for (const auto& h : report["heights"]) last = int(h["height"]);
    for (const auto& stall : report["stalls"]) stalled_ms += int(double(stall["ms"]));
    CHECK(last > 0);
    CHECK(last < 360);
    CHECK(stalled_ms < 500);
  }
}
