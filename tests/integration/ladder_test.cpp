// ffmpeg publishes one 640x360 rendition; the server's ladder adds two lower
// ones. Every rung is listed in the multivariant playlist and the MPD, live
// and in the recording, cut on the same frames as the source, and decodes
// at its own size. HEVC and AV1 shows, published over Enhanced RTMP, get an
// H.264 rung that hls.js and dash.js play in Chromium.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>

#include "control_api_harness.hpp"
#include "http_client.hpp"
#include "looplive/core/media_types.hpp"
#include "looplive/media/stream_files.hpp"
#include "looplive/packager/live_view.hpp"
#include "looplive/packager/packager.hpp"
#include "manifest_checker.hpp"
#include "media_fixture.hpp"
#include "player_report.hpp"

using namespace looplive;
using namespace looplive::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> matches(const std::string& text, const std::string& pattern) {
  std::vector<std::string> out;
  const std::regex re(pattern);
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it)
    out.push_back((*it)[1]);
  return out;
}

// ffprobe's view of a segment read with its init segment: "WIDTHxHEIGHT"
// and the first packet's flags, errors apart.
struct Probe {
  std::string size;
  std::string first_flags;
  std::string errors;
};

Probe probe(const fs::path& init, const fs::path& segment) {
  const fs::path joined = segment.string() + ".probe.mp4";
  {
    std::ofstream out(joined, std::ios::binary);
    out << read_file(init) << read_file(segment);
  }
  Probe p;
  std::string out;
  run_command({"ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
               "stream=width,height:packet=flags", "-of", "csv=p=0", joined.string()},
              &out);
  fs::remove(joined);
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    if (line.find_first_not_of("K_DC") == std::string::npos) {
      if (p.first_flags.empty()) p.first_flags = line;
    } else if (std::regex_match(line, std::regex(R"(\d+,\d+)"))) {
      p.size = line.substr(0, line.find(',')) + "x" + line.substr(line.find(',') + 1);
    } else {
      p.errors += line + "\n";
    }
  }
  return p;
}

}  // namespace

TEST_CASE("a laddered show lists every rung, cut on the source's frames, live and recorded",
          "[integration][ladder]") {
  const auto& fixture = long_h264_aac_fixture();
  const std::string media_root = make_scratch_dir("media");
  app::Config config = api_test_config(fresh_database("ladder_vod"), media_root, nullptr);
  config.packager.write_live_to_disk = true;
  config.ladder.by_default = {.enabled = true};  // "auto"
  config.ladder.rungs = {{240, 400'000}, {144, 200'000}};
  auto api = std::make_unique<ApiServer>(config);
  app::Server* server = &api->server;
  auto stream = server->streams().create(std::nullopt, /*record=*/true);
  const std::string url =
      "rtmp://127.0.0.1:" + std::to_string(server->rtmp_port()) + "/live/" + stream.key;
  const fs::path live = fs::path(media_root) / "live" / stream.stream.id;
  const fs::path vods = fs::path(media_root) / "vods";

  Process publisher(ffmpeg_publish(fixture.path, url), make_scratch_dir("ladder") + "/ffmpeg.log");
  // While live: the multivariant playlist names all three video renditions.
  std::string live_multivariant;
  std::shared_ptr<const packager::LiveView> view;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    view = server->packager()->view(stream.stream.id);
    if (view &&
        matches(std::string(view->multivariant.text()), "RESOLUTION=([0-9x]+)").size() == 3) {
      live_multivariant = view->multivariant.text();
      break;
    }
    std::this_thread::sleep_for(100ms);
  }
  // Every rung has LL-HLS parts and a preload hint, as the source has.
  REQUIRE(view);
  size_t with_parts = 0;
  for (const auto& track : view->tracks) {
    if (track.playlist.text().find("#EXT-X-PART:") != std::string::npos &&
        !track.preload_hint.empty())
      ++with_parts;
  }
  CHECK(with_parts == 4);  // three video renditions and the audio
  INFO(live_multivariant);
  CHECK(matches(live_multivariant, "RESOLUTION=([0-9x]+)") ==
        std::vector<std::string>{"640x360", "426x240", "256x144"});
  REQUIRE(publisher.wait(60s) == 0);
  const fs::path vod_playlist = vods / media::files::vod_multivariant(stream.stream.id);
  const auto vod_deadline = std::chrono::steady_clock::now() + 30s;
  while (!fs::exists(vod_playlist) && std::chrono::steady_clock::now() < vod_deadline)
    std::this_thread::sleep_for(100ms);
  REQUIRE(fs::exists(vod_playlist));
  api.reset();

  // The replay is adaptive too, each rung with its measured bandwidth and exact codecs.
  const std::string vod = read_file(vod_playlist);
  INFO(vod);
  CHECK(matches(vod, "RESOLUTION=([0-9x]+)") ==
        std::vector<std::string>{"640x360", "426x240", "256x144"});
  const auto bandwidths = matches(vod, ":BANDWIDTH=([0-9]+)");
  REQUIRE(bandwidths.size() == 3);
  CHECK(std::stoull(bandwidths[1]) > std::stoull(bandwidths[2]));
  CHECK(matches(vod, R"re(CODECS="(avc1\.[0-9a-f]{6}),mp4a)re").size() == 3);
  const std::string mpd = read_file(vods / media::files::vod_manifest(stream.stream.id));
  CHECK(matches(mpd, R"re(<Representation id="(video[_0-9]*)")re") ==
        std::vector<std::string>{"video", "video_1", "video_2"});

  // Every rung has the source's segment boundaries; each segment starts
  // with a keyframe and decodes at the rung's size.
  const auto durations = [&](core::TrackKey key) {
    return matches(read_file(vods / media::files::vod_media_playlist(stream.stream.id, key)),
                   "#EXTINF:([0-9.]+),");
  };
  const auto source_durations = durations({core::MediaKind::video, 0});
  REQUIRE(source_durations.size() >= 5);
  const std::vector<std::pair<uint8_t, std::string>> rungs{{1, "426x240"}, {2, "256x144"}};
  for (const auto& [rendition, size] : rungs) {
    INFO("rendition " << int(rendition));
    const core::TrackKey key{core::MediaKind::video, rendition};
    CHECK(durations(key) == source_durations);
    const std::string playlist = read_file(live / media::files::media_playlist(key));
    const auto init = matches(playlist, R"re(#EXT-X-MAP:URI="([^"]+)")re");
    REQUIRE(init.size() == 1);
    for (const std::string& uri : segment_uris(playlist)) {
      INFO(uri);
      const Probe p = probe(live / init[0], live / uri);
      CHECK(p.errors.empty());
      CHECK(p.size == size);
      CHECK(p.first_flags.starts_with("K"));
    }
  }
}

TEST_CASE("a stream's own ladder; a rung too slow for real time is dropped, the show goes on",
          "[integration][ladder]") {
  const std::string media = make_scratch_dir("media");
  app::Config config = api_test_config(fresh_database("ladder"), media, nullptr);
  config.ladder.preset = "placebo";  // far too slow for 30 frames a second at 240p
  config.ladder.max_delay_ms = 500;
  ApiServer api(config);
  HttpClient origin(api.server.origin_port());

  // The server's default ladder is for HEVC and AV1 only; this stream asks for its own rungs.
  auto bad = api.call(bhttp::verb::post, "/v1/streams", R"({"record": false, "ladder": ["240"]})");
  CHECK(bad.status == 422);
  auto created = api.call(bhttp::verb::post, "/v1/streams",
                          R"({"record": false, "ladder": ["240p@400k", "144p@200k"]})")
                     .json();
  CHECK(created["ladder"] == nlohmann::json::array({"240p@400k", "144p@200k"}));
  const std::string id = created["streamId"];
  CHECK(api.call(bhttp::verb::get, "/v1/streams/" + id).json()["ladder"] == created["ladder"]);

  Process publisher({"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-i",
                     long_h264_aac_fixture().path, "-c", "copy", "-f", "flv",
                     api.publish_url(created["streamKey"])},
                    make_scratch_dir("ladder-slow") + "/ffmpeg.log");
  // The 240p rung falls behind and is dropped (health says so), and the
  // playlists leave it out while the source goes on.
  const auto health_of = [&] {
    return api.call(bhttp::verb::get, "/v1/streams/" + id + "/health").json();
  };
  bool dropped = false;
  nlohmann::json health;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!dropped && std::chrono::steady_clock::now() < deadline) {
    health = health_of();
    for (const auto& check : health["checks"])
      dropped =
          dropped || (check["id"] == "ladder" && check["level"] == "warning" &&
                      check["message"].get<std::string>().find("426x240") != std::string::npos);
    std::this_thread::sleep_for(200ms);
  }
  INFO(health.dump());
  REQUIRE(dropped);
  CHECK(health["level"] == "warning");
  std::string multivariant;
  for (int i = 0; i < 100 && multivariant.empty(); ++i) {
    const auto view = api.server.packager()->view(id);
    if (view) multivariant = view->multivariant.text();
    std::this_thread::sleep_for(100ms);
  }
  INFO(multivariant);
  CHECK(multivariant.find("RESOLUTION=640x360") != std::string::npos);
  CHECK(multivariant.find("RESOLUTION=426x240") == std::string::npos);
  CHECK(origin.get("/live/" + id + "/video_1.m3u8").status == 404);
  const auto mpd = origin.get("/live/" + id + "/manifest.mpd");
  CHECK(mpd.status == 200);
  CHECK(mpd.body.find("video_1") == std::string::npos);
  // The source rendition keeps growing after the drop.
  const auto before = origin.get("/live/" + id + "/video.m3u8").body;
  std::this_thread::sleep_for(2500ms);
  const auto after = origin.get("/live/" + id + "/video.m3u8").body;
  CHECK(after != before);
  CHECK(segment_uris(after).size() >= 2);
  publisher.terminate();
}

namespace {

// Runs tests/player/ladder.mjs; its report. The run ends soon after the
// player is back up, or after `recovered` seconds at most.
nlohmann::json play_throttled(const std::string& kind, const std::string& url, int free,
                              int throttled, int kbits, int recovered) {
  return run_player("ladder.mjs",
                    {kind, url, std::to_string(free), std::to_string(throttled),
                     std::to_string(kbits), std::to_string(recovered), "--until-up"},
                    "ladder-" + kind, std::chrono::seconds(free + throttled + recovered + 90));
}

// The smallest picture height shown since the throttle began (a player shows
// a switch only once its buffer plays out, which may be after the throttle),
// the tallest shown after that, and how long the player stalled after it
// started.
struct Watched {
  int smallest_since_throttle = 0;
  int tallest_after_smallest = 0;
  int stalled_ms = 0;
};

Watched watched(const nlohmann::json& report) {
  Watched w;
  w.smallest_since_throttle = 100000;
  for (const auto& h : report["heights"]) {
    if (h["phase"] == "free") continue;
    const int height = h["height"];
    if (height < w.smallest_since_throttle) {
      w.smallest_since_throttle = height;
      w.tallest_after_smallest = 0;
    } else if (h["phase"] == "recovered") {
      w.tallest_after_smallest = std::max(w.tallest_after_smallest, height);
    }
  }
  for (const auto& s : report["stalls"]) w.stalled_ms += int(double(s["ms"]));
  return w;
}

}  // namespace

TEST_CASE("hls.js and dash.js move down the ladder when the bandwidth drops, back up after",
          "[integration][ladder][player]") {
  const std::string media = make_scratch_dir("media");
  app::Config config = api_test_config(fresh_database("ladder_play"), media, nullptr);
  config.ladder.by_default = {.enabled = true};  // "auto"
  config.ladder.rungs = {{240, 300'000}, {144, 150'000}};
  ApiServer api(config);
  auto created = api.call(bhttp::verb::post, "/v1/streams", R"({"record": false})").json();
  const std::string id = created["streamId"];
  Process publisher({"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
                     "-stream_loop", "-1", "-i", long_h264_aac_fixture().path, "-c", "copy", "-f",
                     "flv", api.publish_url(created["streamKey"])},
                    make_scratch_dir("ladder-play") + "/ffmpeg.log");
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto view = api.server.packager()->view(id);
    if (view && view->multivariant.text().find("RESOLUTION=256x144") != std::string::npos) break;
    std::this_thread::sleep_for(100ms);
  }
  const std::string origin = "http://127.0.0.1:" + std::to_string(api.server.origin_port());
  // The source (640x360) takes about 0.9 Mbit/s with its audio; 400 kbit/s
  // leaves room for a rung only. The players keep a few seconds of buffer
  // (low-latency modes keep about one, too little for any player to switch
  // before it runs dry: bench/README.md).
  for (const auto& [kind, file] : std::vector<std::pair<std::string, std::string>>{
           {"hls", "index.m3u8"}, {"dash", "manifest.mpd"}}) {
    INFO(kind);
    const auto report = play_throttled(kind, origin + "/live/" + id + "/" + file, 8, 24, 400, 90);
    INFO(report.dump());
    std::printf("ladder playback %s: %s\n", kind.c_str(), report.dump().c_str());
    const Watched w = watched(report);
    CHECK(w.smallest_since_throttle < 360);
    // Back up once the bandwidth returns: hls.js weighs each bandwidth sample
    // by its download time, so fast downloads lift its estimate slowly (18
    // to 28 s in bench/abr/run); up to 90 s leaves room on a busy machine.
    CHECK(w.tallest_after_smallest > w.smallest_since_throttle);
    // Without a rung that fits, the 0.9 Mbit/s source at 400 kbit/s arrives
    // at 0.44 s of media a second: by that count the player would stall for
    // about half of the 24 s throttle. A switch down at the drop may run a
    // short buffer dry once while the fragment in flight cannot finish
    // (hls.js stalled 643 ms so in one run, then played 144p through).
    CHECK(w.stalled_ms < 2000);
  }
  publisher.terminate();
}

namespace {

// A 12 s 640x360 30 fps file with a keyframe every 2 s and AAC, its video
// made by `encoder` (ffmpeg arguments), written as Enhanced RTMP FLV.
std::string enhanced_flv_source(const std::string& dir, const std::string& name,
                                const std::vector<std::string>& encoder) {
  const std::string mp4 = dir + "/" + name + ".mp4";
  const std::string flv = dir + "/" + name + ".flv";
  std::vector<std::string> make{"ffmpeg",    "-hide_banner",
                                "-loglevel", "error",
                                "-nostdin",  "-y",
                                "-f",        "lavfi",
                                "-i",        "testsrc2=size=640x360:rate=30",
                                "-f",        "lavfi",
                                "-i",        "sine=frequency=440:sample_rate=48000",
                                "-t",        "12",
                                "-pix_fmt",  "yuv420p"};
  make.insert(make.end(), encoder.begin(), encoder.end());
  make.insert(make.end(), {"-c:a", "aac", "-b:a", "96k", "-f", "mp4", mp4});
  std::string out;
  const int made = run_command(make, &out, 120s);
  INFO(out);
  REQUIRE(made == 0);
  const int written = run_command({built_tool("enhanced_flv"), mp4, flv}, &out, 60s);
  INFO(out);
  REQUIRE(written == 0);
  return flv;
}

// ffprobe's name for the codec of the first video stream at `url`.
std::string video_codec_at(const std::string& url) {
  std::string out;
  run_command({"ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
               "stream=codec_name,width,height", "-of", "csv=p=0", url},
              &out, 60s);
  return out.substr(0, out.find_first_of("\r\n"));
}

}  // namespace

TEST_CASE("an HEVC or AV1 show sent over Enhanced RTMP gets an H.264 rung that browsers play",
          "[integration][ladder][player]") {
  const std::string dir = make_scratch_dir("ladder-codecs");
  const std::string media_root = make_scratch_dir("media");
  app::Config config = api_test_config(fresh_database("ladder_codecs"), media_root, nullptr);
  ApiServer api(config);
  const std::string origin = "http://127.0.0.1:" + std::to_string(api.server.origin_port());
  struct Source {
    std::string name;
    std::vector<std::string> encoder;
    std::string ladder;  // the stream's "ladder" in POST /v1/streams
    std::string codecs;  // the source's CODECS in the multivariant playlist
    std::string probed;  // ffprobe's codec name for it
  };
  // "compatible" (asked for, or the server's default) gives a source that
  // browsers may not play one H.264 rung at its own size.
  const std::vector<Source> sources{
      {"hevc",
       {"-c:v", "libx265", "-preset", "ultrafast", "-x265-params",
        "keyint=60:min-keyint=60:scenecut=0:log-level=error", "-tag:v", "hvc1"},
       R"("compatible")",
       "hvc1.",
       "hevc,640,360"},
      {"av1", {"-c:v", "libsvtav1", "-preset", "12", "-g", "60"}, "null", "av01.", "av1,640,360"}};
  const auto video_codecs = [](const std::string& playlist) {
    return matches(playlist, R"re(CODECS="((?:hvc1|av01|avc1)\.[^,"]*))re");
  };
  const auto multivariant_of = [&](const std::string& id, const std::string& wanted) {
    std::string text;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto view = api.server.packager()->view(id);
      text = view ? view->multivariant.text() : "";
      if (text.find(wanted) != std::string::npos) break;
      std::this_thread::sleep_for(200ms);
    }
    return text;
  };
  for (const Source& source : sources) {
    INFO(source.name);
    const std::string flv = enhanced_flv_source(dir, source.name, source.encoder);
    auto created = api.call(bhttp::verb::post, "/v1/streams",
                            R"({"record": true, "ladder": )" + source.ladder + "}")
                       .json();
    const std::string id = created["streamId"];
    CHECK(created["ladder"] == nlohmann::json::parse(source.ladder));
    Process publisher({built_tool("rtmp_publish"), "--realtime", "--loop", "10",
                       api.publish_url(created["streamKey"]), flv},
                      dir + "/" + source.name + "-publish.log");
    const std::string multivariant = multivariant_of(id, "avc1.");
    INFO(multivariant);
    const std::vector<std::string> live_codecs = video_codecs(multivariant);
    REQUIRE(live_codecs.size() == 2);
    CHECK(live_codecs[0].starts_with(source.codecs));
    CHECK(live_codecs[1].starts_with("avc1."));
    CHECK(matches(multivariant, "RESOLUTION=([0-9x]+)") ==
          std::vector<std::string>{"640x360", "640x360"});
    // The frame rate comes from the encoder's onMetaData (the hvcC and av1C
    // records carry none), and the rung's H.264 level from it: 3.0 at 360p30.
    CHECK(matches(multivariant, "FRAME-RATE=([0-9.]+)") ==
          std::vector<std::string>{"30.000", "30.000"});
    CHECK(matches(multivariant, R"re(CODECS="avc1\.6400([0-9a-f]{2}))re") ==
          std::vector<std::string>{"1e"});
    const std::string live = origin + "/live/" + id + "/";
    CHECK(video_codec_at(live + "video.m3u8") == source.probed);
    CHECK(video_codec_at(live + "video_1.m3u8") == "h264,640,360");
    int status = -1;
    CHECK(decode_errors(live + "video_1.m3u8", &status, 4).empty());
    CHECK(status == 0);
    // Chromium has no HEVC decoder: hls.js and dash.js leave that rendition
    // out and play the H.264 rung (AV1 they may play as sent).
    for (const std::string player : {"hls", "dash"})
      run_player("play.mjs",
                 {player, live + (player == "hls" ? "index.m3u8" : "manifest.mpd"), "15"},
                 "ladder-codecs-" + source.name + "-" + player, 90s);
    // The replay keeps both renditions.
    CHECK(api.call(bhttp::verb::post, "/v1/streams/" + id + "/end").status == 200);
    publisher.terminate();
    const fs::path replay = fs::path(media_root) / "vods" / media::files::vod_multivariant(id);
    REQUIRE(fs::exists(replay));
    CHECK(video_codecs(read_file(replay)) == live_codecs);
  }
  // The default gives an H.264 show nothing: browsers play it as sent.
  auto plain = api.call(bhttp::verb::post, "/v1/streams", R"({"record": false})").json();
  Process h264(ffmpeg_publish(long_h264_aac_fixture().path, api.publish_url(plain["streamKey"])),
               dir + "/h264-publish.log");
  const std::string multivariant = multivariant_of(plain["streamId"], "avc1.");
  INFO(multivariant);
  CHECK(video_codecs(multivariant).size() == 1);
  h264.terminate();
}
