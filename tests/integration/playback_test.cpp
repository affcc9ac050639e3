// A live show as viewers get it: ffmpeg publishes, the origin serves, and
// ffmpeg, hls.js (plain and in its low-latency mode) and dash.js (in
// headless Chromium) play it over HTTP.
#include <catch2/catch.hpp>

#include "http_client.hpp"
#include "live_server.hpp"
#include "media_fixture.hpp"

using namespace looplive;
using namespace looplive::test;
using namespace std::chrono_literals;

namespace {

// An FLV made with ffmpeg for this test: video only or audio only.
std::string single_track_fixture(bool video) {
  std::string path = make_scratch_dir("fixture") + (video ? "/video_only.flv" : "/audio_only.flv");
  std::vector<std::string> args{"ffmpeg", "-hide_banner", "-loglevel", "error", "-y"};
  if (video) {
    for (const char* a :
         {"-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-t", "20", "-c:v", "libx264",
          "-preset", "veryfast", "-bf", "2", "-g", "60", "-pix_fmt", "yuv420p"})
      args.emplace_back(a);
  } else {
    for (const char* a : {"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "20",
                          "-c:a", "aac", "-ac", "2"})
      args.emplace_back(a);
  }
  args.insert(args.end(), {"-f", "flv", path});
  std::string out;
  REQUIRE(run_command(args, &out) == 0);
  return path;
}

std::string player(const std::string& kind, const std::string& url) {
  std::string out;
  int status = run_command(
      {"node", std::string(LOOPLIVE_SOURCE_DIR) + "/tests/player/play.mjs", kind, url, "25"}, &out,
      90s);
  INFO(kind << " " << url << ": " << out);
  CHECK(status == 0);
  return out;
}

}  // namespace

TEST_CASE("viewers play a live show over HTTP with ffmpeg, hls.js and dash.js",
          "[integration][origin][player]") {
  LiveServer live([](app::Config& config) {
    config.packager.thumbnails = true;
    // A window longer than six target durations: LL-HLS players get delta updates.
    config.packager.live_window = 10;
  });
  auto stream = live.server->streams().create(std::nullopt, false);
  std::string dir = make_scratch_dir("play");
  std::string fixture = long_h264_aac_fixture().path;
  // Loop the fixture so the stream stays live while every player runs.
  Process publisher(
      {"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-stream_loop", "3", "-i",
       fixture, "-c", "copy", "-f", "flv", live.rtmp(stream.key)},
      dir + "/publisher.log");
  REQUIRE(live.wait_playable(stream.stream.id));
  std::string id = stream.stream.id;
  // Every playlist and MPD version served while the players run must hold up.
  ManifestWatcher manifests(live.server->origin_port(), id,
                            {"index.m3u8", "video.m3u8", "audio.m3u8", "manifest.mpd"}, 50ms);

  for (const std::string& path : {"/live/" + id + "/index.m3u8", "/live/" + id + "/manifest.mpd"}) {
    int status = -1;
    const std::string errors = decode_errors(live.http(path), &status, 6);
    INFO(path << ": " << errors);
    CHECK(status == 0);
    CHECK(errors.empty());
  }
  // packager.thumbnails: the poster of the latest segment, served as a JPEG.
  std::string poster;
  CHECK(run_command({"ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width", "-of",
                     "csv=p=0", live.http("/live/" + id + "/thumbnail.jpg")},
                    &poster, 30s) == 0);
  CHECK(poster.rfind("mjpeg,320", 0) == 0);

  player("hls", live.http("/live/" + id + "/index.m3u8?session=hls-viewer"));
  const std::string low_latency =
      player("hls-ll", live.http("/live/" + id + "/index.m3u8?session=hls-ll-viewer"));
  // The player asked for delta updates at least once (the count is in its report).
  const auto asked = low_latency.find("\"deltaRequests\":");
  REQUIRE(asked != std::string::npos);
  CHECK(low_latency.compare(asked + 16, 2, "0,") != 0);
  // dash.js in its low-latency mode, which it chose from the MPD, fetching
  // segments while they are being written.
  const std::string dash =
      player("dash", live.http("/live/" + id + "/manifest.mpd?session=dash-viewer"));
  CHECK(dash.find("\"lowLatency\":true") != std::string::npos);
  const auto grown = dash.find("\"growingSegments\":");
  REQUIRE(grown != std::string::npos);
  CHECK(dash.compare(grown + 18, 2, "0,") != 0);

  // The players and ffmpeg were counted as viewers by the origin.
  auto figures = live.server->viewer_figures(id);
  CHECK(figures.unique >= 2);
  CHECK(figures.peak >= 1);
  manifests.stop();
  CHECK(manifests.versions("video.m3u8") >= 5);
  CHECK(manifests.versions("manifest.mpd") >= 5);
  for (const auto& problem : manifests.problems()) FAIL_CHECK(problem);
  publisher.terminate();
}

TEST_CASE("audio-only and video-only shows play", "[integration][origin][player]") {
  LiveServer live;
  for (bool video : {true, false}) {
    auto stream = live.server->streams().create(std::nullopt, false);
    std::string dir = make_scratch_dir("single");
    Process publisher(
        {"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-i",
         single_track_fixture(video), "-c", "copy", "-f", "flv", live.rtmp(stream.key)},
        dir + "/publisher.log");
    REQUIRE(live.wait_playable(stream.stream.id));
    std::string url = live.http("/live/" + stream.stream.id + "/index.m3u8");
    int status = -1;
    const std::string errors = decode_errors(url, &status, 4);
    INFO((video ? "video only: " : "audio only: ") << errors);
    CHECK(status == 0);
    CHECK(errors.empty());
    if (video) player("hls", url);
    publisher.terminate();
  }
}
