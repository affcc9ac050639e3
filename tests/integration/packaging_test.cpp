// ffmpeg publishes through the real server; the segments and playlists it
// leaves on disk are decoded with ffprobe and ffmpeg.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>

#include "ingest_harness.hpp"
#include "looplive/packager/packager.hpp"
#include "manifest_checker.hpp"
#include "media_fixture.hpp"

using namespace looplive;
using namespace looplive::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct PackagingServer {
  explicit PackagingServer(const std::string& media_root) {
    app::Config config = test_config(PgCluster::shared());
    config.packager.media_root = media_root;
    config.packager.write_live_to_disk = true;  // the test reads the live files
    server = std::make_unique<app::Server>(config);
    server->start();
  }
  ~PackagingServer() { server->stop(); }
  std::string url(const std::string& key) const {
    return "rtmp://127.0.0.1:" + std::to_string(server->rtmp_port()) + "/live/" + key;
  }
  std::unique_ptr<app::Server> server;
};

std::vector<double> extinf_durations(const std::string& playlist) {
  std::vector<double> out;
  std::regex extinf(R"(#EXTINF:([0-9.]+),)");
  for (std::sregex_iterator it(playlist.begin(), playlist.end(), extinf), end; it != end; ++it)
    out.push_back(std::stod((*it)[1]));
  return out;
}

// ffprobe's packet flags for one segment, read together with its init segment.
std::vector<std::string> packet_flags(const fs::path& init, const fs::path& segment,
                                      std::string* errors) {
  fs::path joined = segment.string() + ".probe.mp4";
  {
    std::ofstream out(joined, std::ios::binary);
    out << read_file(init) << read_file(segment);
  }
  std::string out;
  run_command({"ffprobe", "-v", "error", "-show_entries", "packet=flags", "-of", "csv=p=0", joined},
              &out);
  fs::remove(joined);
  std::vector<std::string> flags;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.find_first_not_of("K_DC") == std::string::npos && !line.empty())
      flags.push_back(line);
    else if (!line.empty())
      *errors += line + "\n";
  }
  return flags;
}

void wait_for_file(const fs::path& path) {
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (!fs::exists(path) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  REQUIRE(fs::exists(path));
}

}  // namespace

TEST_CASE("a published show becomes decodable CMAF, HLS and DASH, and a VOD when recorded",
          "[integration][packager]") {
  const auto& fixture = long_h264_aac_fixture();
  std::string media_root = make_scratch_dir("media");
  PackagingServer server(media_root);
  auto stream = server.server->streams().create(std::nullopt, /*record=*/true);
  fs::path live = fs::path(media_root) / "live" / stream.stream.id;

  std::string out;
  int status = run_command(ffmpeg_publish(fixture.path, server.url(stream.key)), &out, 60s);
  INFO(out);
  REQUIRE(status == 0);
  wait_for_file(fs::path(media_root) / "vods" / (stream.stream.id + ".m3u8"));

  std::string video_playlist = read_file(live / "video.m3u8");
  INFO(video_playlist);
  CHECK(video_playlist.find("#EXT-X-ENDLIST") != std::string::npos);
  // The init segment is named after where this run started numbering.
  const size_t map = video_playlist.find("#EXT-X-MAP:URI=\"");
  REQUIRE(map != std::string::npos);
  const std::string init =
      video_playlist.substr(map + 16, video_playlist.find('"', map + 16) - map - 16);
  CHECK(init.rfind("init_v", 0) == 0);
  CHECK(video_playlist.find("#EXT-X-PROGRAM-DATE-TIME:") != std::string::npos);

  // The VOD lists every segment of the show, and their durations add up to it within a frame.
  std::string vod_video =
      read_file(fs::path(media_root) / "vods" / (stream.stream.id + "_video.m3u8"));
  INFO(vod_video);
  CHECK(vod_video.find("#EXT-X-PLAYLIST-TYPE:VOD") != std::string::npos);
  double total = 0;
  for (double d : extinf_durations(vod_video)) total += d;
  double expected = fixture.video_frames / 30.0;
  CHECK(std::abs(total - expected) <= 1.0 / 30 + 0.001);

  // Every video segment decodes and starts with a keyframe.
  auto uris = segment_uris(vod_video);
  REQUIRE(uris.size() >= 5);
  size_t frames = 0;
  for (const auto& uri : uris) {
    fs::path segment = fs::path(media_root) / "vods" / uri;
    std::string errors;
    auto flags = packet_flags(live / init, segment, &errors);
    INFO(uri << " " << errors);
    CHECK(errors.empty());
    REQUIRE_FALSE(flags.empty());
    CHECK(flags.front().find('K') != std::string::npos);
    frames += flags.size();
  }
  CHECK(static_cast<long>(frames) == fixture.video_frames);

  // ffmpeg decodes the live HLS, the DASH manifest and the VOD without one error.
  for (fs::path playlist : {live / "index.m3u8", live / "manifest.mpd",
                            fs::path(media_root) / "vods" / (stream.stream.id + ".m3u8")}) {
    int status = -1;
    const std::string errors = decode_errors(playlist.string(), &status);
    INFO(playlist << ": " << errors);
    CHECK(status == 0);
    CHECK(errors.empty());
  }
}
