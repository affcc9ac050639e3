#include <catch2/catch.hpp>

#include <regex>

#include "looplive/media/text_format.hpp"
#include "origin_harness.hpp"
#include "request_handler.hpp"

using namespace looplive;
using namespace looplive::origin;
using namespace looplive::origin::test;

namespace {

const std::string kVod = std::string(kStreamId);

struct Fixture {
  MediaRoot root;
  MapSource source;

  Fixture() {
    source.put(kStreamId, "index.m3u8", "#EXTM3U\n#memory-index\n", "\"idx-7\"", 1'700'000'000);
    source.put(kStreamId, "video.m3u8", "#EXTM3U\n#memory-video\n", "\"vid-7\"");
    source.put(kStreamId, "manifest.mpd", "<MPD memory/>", "\"mpd-7\"");
    source.put(kStreamId, "init_v.mp4", pattern(700, 1), "\"iv\"");
    source.put(kStreamId, "v_3.m4s", pattern(5000, 3), "\"v3\"");
    source.put(kStreamId, "a_3.m4s", pattern(900, 4), "");  // no ETag from the source
    // The same names on disk hold other bytes: memory must win.
    root.write("live/" + std::string(kStreamId) + "/index.m3u8", "#EXTM3U\n#disk-index\n");
    // Only on disk: an ended stream, and segments that left the memory window.
    root.write("live/" + std::string(kOtherStreamId) + "/index.m3u8", "#EXTM3U\n#disk-other\n");
    root.write("live/" + std::string(kOtherStreamId) + "/manifest.mpd", "<MPD disk/>");
    root.write("live/" + std::string(kOtherStreamId) + "/init_a.mp4", pattern(300, 5));
    root.write("live/" + std::string(kOtherStreamId) + "/v_1.m4s", pattern(20000, 6));
    root.write("live/" + std::string(kOtherStreamId) + "/a_1.m4s", pattern(2000, 7));
    root.write("live/" + std::string(kOtherStreamId) + "/thumbnail.jpg", "\xff\xd8\xff jpeg");
    root.write("vods/" + kVod + ".m3u8", "#EXTM3U\n#vod\n");
    root.write("vods/" + kVod + "_video.m3u8", "#EXTM3U\n#vod-video\n");
    root.write("vods/" + kVod + ".mpd", "<MPD static/>");
    root.write("vods/" + kVod + ".mp4", pattern(4000, 8));
  }
};

void check_file_headers(const Reply& reply, const std::string& type, const std::string& cache) {
  INFO("content-type " << reply["content-type"] << ", cache-control " << reply["cache-control"]);
  CHECK(reply["content-type"] == type);
  CHECK(reply["cache-control"] == cache);
  CHECK(reply["accept-ranges"] == "bytes");
  CHECK(reply["access-control-allow-origin"] == "*");
  CHECK(reply["access-control-expose-headers"] == "Content-Length, Content-Range, Date, ETag");
  CHECK(reply.has("etag"));
  CHECK(reply["etag"].starts_with('"'));
  CHECK(reply.has("last-modified"));
  CHECK(reply["last-modified"].ends_with(" GMT"));
  CHECK(reply.has("date"));
  CHECK(reply["content-length"] == std::to_string(reply.body.size()));
}

const std::string kImmutable = "public, max-age=31536000, immutable";

}  // namespace

TEST_CASE("live files come from memory with exact headers per type", "[origin][files]") {
  Fixture f;
  RunningOrigin origin(test_config(f.root), f.source);
  Client client(origin.port());

  auto index = client.request("GET", live("index.m3u8"));
  CHECK(index.status == 200);
  CHECK(index.body == "#EXTM3U\n#memory-index\n");
  check_file_headers(index, "application/vnd.apple.mpegurl", "public, max-age=1");
  CHECK(index["etag"] == "\"idx-7\"");
  CHECK(index["last-modified"] == "Tue, 14 Nov 2023 22:13:20 GMT");

  auto video = client.request("GET", live("video.m3u8"));
  CHECK(video.body == "#EXTM3U\n#memory-video\n");
  check_file_headers(video, "application/vnd.apple.mpegurl", "public, max-age=1");

  auto mpd = client.request("GET", live("manifest.mpd"));
  CHECK(mpd.body == "<MPD memory/>");
  check_file_headers(mpd, "application/dash+xml", "public, max-age=1");

  auto init = client.request("GET", live("init_v.mp4"));
  CHECK(init.body == pattern(700, 1));
  check_file_headers(init, "video/mp4", kImmutable);

  auto segment = client.request("GET", live("v_3.m4s"));
  CHECK(segment.body == pattern(5000, 3));
  check_file_headers(segment, "video/mp4", kImmutable);

  auto audio = client.request("GET", live("a_3.m4s"));
  CHECK(audio.body == pattern(900, 4));
  check_file_headers(audio, "audio/mp4", kImmutable);
  // Derived from the bytes when the source gives none: stable across requests.
  CHECK(audio["etag"].size() > 4);
  CHECK(client.request("GET", live("a_3.m4s"))["etag"] == audio["etag"]);
}

TEST_CASE("live files fall back to disk when the stream is not in memory", "[origin][files]") {
  Fixture f;
  RunningOrigin origin(test_config(f.root), f.source);
  Client client(origin.port());

  auto index = client.request("GET", live("index.m3u8", kOtherStreamId));
  CHECK(index.status == 200);
  CHECK(index.body == "#EXTM3U\n#disk-other\n");
  check_file_headers(index, "application/vnd.apple.mpegurl", "public, max-age=1");
  CHECK(std::regex_match(index["etag"], std::regex("\"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+\"")));

  check_file_headers(client.request("GET", live("manifest.mpd", kOtherStreamId)),
                     "application/dash+xml", "public, max-age=1");
  auto init = client.request("GET", live("init_a.mp4", kOtherStreamId));
  CHECK(init.body == pattern(300, 5));
  check_file_headers(init, "audio/mp4", kImmutable);
  auto segment = client.request("GET", live("v_1.m4s", kOtherStreamId));
  CHECK(segment.body == pattern(20000, 6));
  check_file_headers(segment, "video/mp4", kImmutable);
  check_file_headers(client.request("GET", live("a_1.m4s", kOtherStreamId)), "audio/mp4",
                     kImmutable);
  auto thumbnail = client.request("GET", live("thumbnail.jpg", kOtherStreamId));
  CHECK(thumbnail.body == "\xff\xd8\xff jpeg");
  check_file_headers(thumbnail, "image/jpeg", "public, max-age=2");

  // A file missing from memory but present on disk, for a stream that is in memory.
  f.root.write("live/" + std::string(kStreamId) + "/v_1.m4s", pattern(64, 9));
  auto old_segment = client.request("GET", live("v_1.m4s"));
  CHECK(old_segment.status == 200);
  CHECK(old_segment.body == pattern(64, 9));

  // Once the stream leaves memory, its disk files are served.
  f.source.remove_stream(kStreamId);
  CHECK(client.request("GET", live("index.m3u8")).body == "#EXTM3U\n#disk-index\n");
}

TEST_CASE("recorded streams are served from vods/ with the VOD max-age", "[origin][files]") {
  Fixture f;
  auto config = test_config(f.root);
  config.vod_max_age_s = 600;
  RunningOrigin origin(config, f.source);
  Client client(origin.port());

  auto playlist = client.request("GET", "/vods/" + kVod + ".m3u8");
  CHECK(playlist.status == 200);
  CHECK(playlist.body == "#EXTM3U\n#vod\n");
  check_file_headers(playlist, "application/vnd.apple.mpegurl", "public, max-age=600");
  check_file_headers(client.request("GET", "/vods/" + kVod + "_video.m3u8"),
                     "application/vnd.apple.mpegurl", "public, max-age=600");
  check_file_headers(client.request("GET", "/vods/" + kVod + ".mpd"), "application/dash+xml",
                     "public, max-age=600");
  auto mp4 = client.request("GET", "/vods/" + kVod + ".mp4");
  CHECK(mp4.body == pattern(4000, 8));
  check_file_headers(mp4, "video/mp4", "public, max-age=600");
  // The recorded segments a VOD playlist references as ../live/<id>/v_1.m4s.
  CHECK(client.request("GET", "/vods/../live/" + std::string(kOtherStreamId) + "/v_1.m4s").status ==
        404);
  CHECK(client.request("GET", live("v_1.m4s", kOtherStreamId)).status == 200);
}

TEST_CASE("the playlist max-age is half the target duration", "[origin][files]") {
  Fixture f;
  auto config = test_config(f.root);
  config.target_duration = std::chrono::milliseconds(6000);
  RunningOrigin origin(config, f.source);
  CHECK(fetch(origin.port(), live("index.m3u8"))["cache-control"] == "public, max-age=3");
  CHECK(fetch(origin.port(), live("v_3.m4s"))["cache-control"] == kImmutable);
}

TEST_CASE("HEAD answers like GET without a body", "[origin][files]") {
  Fixture f;
  RunningOrigin origin(test_config(f.root), f.source);
  Client client(origin.port());
  for (auto target : {live("v_3.m4s"), live("v_1.m4s", kOtherStreamId)}) {
    auto get = client.request("GET", target);
    auto head = client.request("HEAD", target);
    CHECK(head.status == 200);
    CHECK(head.body.empty());
    CHECK(head["content-length"] == get["content-length"]);
    CHECK(head["content-type"] == get["content-type"]);
    CHECK(head["etag"] == get["etag"]);
  }
  // The connection is still in step: nothing of a body was sent after the HEADs.
  CHECK(client.request("GET", "/healthz").body == "ok");
}

TEST_CASE("unknown streams, files and paths are 404 and never cached", "[origin][files]") {
  Fixture f;
  RunningOrigin origin(test_config(f.root), f.source);
  Client client(origin.port());
  for (auto target :
       {live("index.m3u8", "11111111-2222-4333-8444-555555555555"), live("v_99.m4s"),
        live("nothing.mpd", kOtherStreamId), live("index.html"), std::string("/live/") + kStreamId,
        "/vods/" + std::string(kOtherStreamId) + ".m3u8", std::string("/"),
        std::string("/favicon.ico"), std::string("/live/not-a-uuid/index.m3u8")}) {
    INFO(target);
    auto reply = client.request("GET", target);
    CHECK(reply.status == 404);
    CHECK(reply["cache-control"] == "no-store");
    CHECK(reply["access-control-allow-origin"] == "*");
  }
  CHECK(client.request("GET", live("bad%zz.m3u8")).status == 400);
}

TEST_CASE("health and time", "[origin][files]") {
  Fixture f;
  RunningOrigin origin(test_config(f.root), f.source);
  Client client(origin.port());
  auto health = client.request("GET", "/healthz");
  CHECK(health.status == 200);
  CHECK(health.body == "ok");
  CHECK(health["cache-control"] == "no-store");

  auto before = std::chrono::system_clock::now();
  auto time = client.request("GET", "/time");
  auto after = std::chrono::system_clock::now();
  CHECK(time.status == 200);
  CHECK(time["content-type"].starts_with("text/plain"));
  CHECK(time["cache-control"] == "no-cache");
  CHECK(time["access-control-allow-origin"] == "*");
  REQUIRE(std::regex_match(time.body, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
  auto text = [](std::chrono::system_clock::time_point time) {
    return media::utc_timestamp(
        std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count());
  };
  CHECK(text(before) <= time.body);
  CHECK(time.body <= text(after));
}
