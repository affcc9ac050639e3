// What players and caches see from the first moment of a show: manifests
// polled as fast as a client can while shows start, and a show whose
// keyframe interval does not match the segment duration.
#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>
#include <thread>

#include "http_client.hpp"
#include "live_server.hpp"
#include "manifest_checker.hpp"

using namespace looplive;
using namespace looplive::test;
using namespace std::chrono_literals;

namespace {

const std::vector<std::string> kManifests{"index.m3u8", "video.m3u8", "audio.m3u8", "manifest.mpd"};

}  // namespace

TEST_CASE("manifests never answer an empty or partial 200 while shows start",
          "[integration][origin][manifest]") {
  LiveServer live;
  const std::string fixture = h264_aac_fixture().path;
  HttpClient client(live.server->origin_port());
  for (int start = 0; start < 20; ++start) {
    auto stream = live.server->streams().create(std::nullopt, false);
    const std::string& id = stream.stream.id;
    ManifestChecker checker;
    Process publisher(ffmpeg_publish(fixture, live.rtmp(stream.key)),
                      make_scratch_dir("start") + "/publisher.log");
    // Poll every manifest about every millisecond from before the first
    // segment until each has been served for a while.
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    std::optional<std::chrono::steady_clock::time_point> all_served;
    size_t polls = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      for (const auto& file : kManifests) {
        const HttpReply reply = client.get("/live/" + id + "/" + file);
        REQUIRE(reply.status != 0);
        checker.feed(file, reply.status, reply.body);
      }
      ++polls;
      const bool served = std::all_of(kManifests.begin(), kManifests.end(),
                                      [&](const auto& f) { return checker.versions(f) > 0; });
      if (served && !all_served) all_served = std::chrono::steady_clock::now();
      if (all_served && std::chrono::steady_clock::now() - *all_served > 500ms) break;
      std::this_thread::sleep_for(1ms);
    }
    INFO("start " << start << " after " << polls << " polls");
    CHECK(all_served.has_value());
    for (const auto& problem : checker.problems()) FAIL_CHECK(problem);
    publisher.terminate();
  }
}

TEST_CASE("a keyframe interval longer than the segment keeps the target duration",
          "[integration][origin][manifest]") {
  LiveServer live;
  auto stream = live.server->streams().create(std::nullopt, false);
  Process publisher(ffmpeg_publish(long_gop_h264_aac_fixture().path, live.rtmp(stream.key)),
                    make_scratch_dir("long-gop") + "/publisher.log");
  REQUIRE(live.wait_playable(stream.stream.id));
  ManifestWatcher manifests(live.server->origin_port(), stream.stream.id, kManifests, 20ms);
  REQUIRE(publisher.wait(30s).has_value());
  manifests.stop();
  CHECK(manifests.versions("video.m3u8") >= 5);
  for (const auto& problem : manifests.problems()) FAIL_CHECK(problem);

  // Segments cut between keyframes are not announced as independent.
  const auto view = live.server->packager()->view(stream.stream.id);
  REQUIRE(view);
  REQUIRE(view->video() != nullptr);
  const auto& segments = view->video()->segments;
  CHECK(
      std::any_of(segments.begin(), segments.end(), [](const auto& s) { return !s.independent; }));
  CHECK(view->video()->playlist.text().find("#EXT-X-TARGETDURATION:2\n") != std::string::npos);
  CHECK(view->video()->playlist.text().find("#EXT-X-INDEPENDENT-SEGMENTS") == std::string::npos);
}

TEST_CASE("LL-HLS: blocking reloads and preload-hinted parts follow a live show part by part",
          "[integration][origin][manifest][llhls]") {
  LiveServer live;
  auto stream = live.server->streams().create(std::nullopt, false);
  const std::string& id = stream.stream.id;
  Process publisher(ffmpeg_publish(long_h264_aac_fixture().path, live.rtmp(stream.key)),
                    make_scratch_dir("ll") + "/publisher.log");
  REQUIRE(live.wait_playable(id));
  HttpClient client(live.server->origin_port());
  ManifestChecker checker;
  const std::string base = "/live/" + id + "/";
  HttpReply playlist = client.get(base + "video.m3u8");
  checker.feed("video.m3u8", playlist.status, playlist.body);
  int rounds = 0;
  std::chrono::milliseconds longest_wait{0};
  for (; rounds < 16; ++rounds) {
    const auto hint = preload_hint(playlist.body);
    REQUIRE(hint.has_value());
    const auto asked = std::chrono::steady_clock::now();
    if (rounds % 2 == 0) {
      // The player holds a request for the part before it exists...
      const HttpReply part = client.get(base + hint->uri);
      CHECK(part.status == 200);
      CHECK(part.body.size() > 100);
    }
    // ...and the playlist that lists it.
    playlist = client.get(base + "video.m3u8?_HLS_msn=" + std::to_string(hint->msn) +
                          "&_HLS_part=" + std::to_string(hint->part));
    longest_wait = std::max(longest_wait, std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::steady_clock::now() - asked));
    checker.feed_blocking("video.m3u8", hint->msn, hint->part, playlist.status, playlist.body);
    REQUIRE(playlist.status == 200);
  }
  INFO("longest wait " << longest_wait.count() << " ms");
  // A part lasts at most the part target (333 ms); the encoder runs in real time.
  CHECK(longest_wait < 1500ms);
  CHECK(rounds == 16);
  // Too far ahead is refused at once.
  const auto hint = preload_hint(playlist.body);
  REQUIRE(hint.has_value());
  CHECK(client.get(base + "video.m3u8?_HLS_msn=" + std::to_string(hint->msn + 2)).status == 400);
  for (const auto& problem : checker.problems()) FAIL_CHECK(problem);
  publisher.terminate();
}

namespace {

// The segment URIs a media playlist lists, and how many it skipped.
struct Listing {
  uint64_t skipped = 0;
  std::vector<std::string> uris;
};

Listing listing_of(const std::string& playlist) {
  Listing listing;
  std::istringstream in(playlist);
  bool after_extinf = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("#EXT-X-SKIP:SKIPPED-SEGMENTS=", 0) == 0)
      listing.skipped = std::stoull(line.substr(29));
    if (after_extinf && !line.empty() && line[0] != '#') listing.uris.push_back(line);
    if (line.rfind("#EXTINF:", 0) == 0)
      after_extinf = true;
    else if (!line.empty() && line[0] != '#')
      after_extinf = false;
  }
  return listing;
}

std::string header_line(const std::string& playlist, const std::string& tag) {
  const auto at = playlist.find(tag);
  return at == std::string::npos ? "" : playlist.substr(at, playlist.find('\n', at) - at);
}

}  // namespace

TEST_CASE("LL-HLS: a player asking for delta updates gets the newest segments only",
          "[integration][origin][manifest][llhls]") {
  // 1 s segments, a 10-segment window: the skip boundary (six target
  // durations) lies inside the window once the show is 7 s old.
  LiveServer live([](app::Config& config) {
    config.packager.segment_duration = 1000ms;
    config.packager.live_window = 10;
  });
  auto stream = live.server->streams().create(std::nullopt, false);
  const std::string& id = stream.stream.id;
  Process publisher(ffmpeg_publish(long_h264_aac_fixture().path, live.rtmp(stream.key)),
                    make_scratch_dir("delta") + "/publisher.log");
  REQUIRE(live.wait_playable(id));
  HttpClient client(live.server->origin_port());
  ManifestChecker checker;
  const std::string base = "/live/" + id + "/";

  // Before the window reaches past the boundary, the whole playlist is the answer.
  HttpReply early = client.get(base + "video.m3u8?_HLS_skip=YES");
  REQUIRE(early.status == 200);
  checker.feed("video.m3u8", early.status, early.body);
  CHECK(header_line(early.body, "#EXT-X-SERVER-CONTROL").find("CAN-SKIP-UNTIL=6.000") !=
        std::string::npos);
  CHECK(listing_of(early.body).skipped == 0);

  int deltas = 0;
  int v2_deltas = 0;
  for (int attempt = 0; attempt < 200 && deltas < 3; ++attempt) {
    const HttpReply delta = client.get(base + "video.m3u8?_HLS_skip=YES");
    const HttpReply full = client.get(base + "video.m3u8");
    const HttpReply v2 = client.get(base + "audio.m3u8?_HLS_skip=v2");
    REQUIRE(delta.status == 200);
    REQUIRE(full.status == 200);
    checker.feed("video.m3u8", delta.status, delta.body);
    checker.feed("video.m3u8", full.status, full.body);
    checker.feed("audio.m3u8", v2.status, v2.body);
    // v2 also skips date ranges: a show without tags names none removed.
    if (v2.status == 200 && listing_of(v2.body).skipped > 0) {
      ++v2_deltas;
      CHECK(header_line(v2.body, "#EXT-X-VERSION") == "#EXT-X-VERSION:10");
      CHECK(v2.body.find(",RECENTLY-REMOVED-DATERANGES=\"\"\n") != std::string::npos);
    }
    const Listing skipped = listing_of(delta.body);
    const Listing whole = listing_of(full.body);
    // Compare only answers from one playlist version.
    if (skipped.skipped == 0 || skipped.uris.empty() || whole.uris.back() != skipped.uris.back() ||
        header_line(delta.body, "#EXT-X-MEDIA-SEQUENCE") !=
            header_line(full.body, "#EXT-X-MEDIA-SEQUENCE")) {
      std::this_thread::sleep_for(100ms);
      continue;
    }
    ++deltas;
    CHECK(delta.body.size() < full.body.size());
    REQUIRE(skipped.skipped + skipped.uris.size() == whole.uris.size());
    CHECK(std::equal(skipped.uris.begin(), skipped.uris.end(),
                     whole.uris.begin() + std::ptrdiff_t(skipped.skipped)));
    // What is left starts at least six target durations before the end.
    CHECK(skipped.uris.size() >= 6);
    // The next segment's blocking reload answers with a delta update too.
    const uint64_t next =
        std::stoull(header_line(full.body, "#EXT-X-MEDIA-SEQUENCE").substr(22)) + whole.uris.size();
    const HttpReply blocked =
        client.get(base + "video.m3u8?_HLS_msn=" + std::to_string(next) + "&_HLS_skip=YES");
    REQUIRE(blocked.status == 200);
    CHECK(listing_of(blocked.body).skipped > 0);
    CHECK(listing_of(blocked.body).uris.back() == "v_" + std::to_string(next) + ".m4s");
    checker.feed("video.m3u8", blocked.status, blocked.body);
  }
  CHECK(deltas == 3);
  CHECK(v2_deltas > 0);
  for (const auto& problem : checker.problems()) FAIL_CHECK(problem);
  publisher.terminate();
}
