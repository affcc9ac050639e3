#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "looplive/packager/packager.hpp"
#include "media_fixture.hpp"
#include "mp4_checks.hpp"
#include "packaging_run.hpp"

using looplive::core::EndReason;
using looplive::core::PublishGrant;
using looplive::packager::Packager;
namespace lt = looplive::packager::testing;
namespace fs = std::filesystem;

namespace {

struct Halves {
  lt::Demuxed first;
  lt::Demuxed second;
};

// The fixture cut at its keyframe at 4 s, the second part's clock restarting
// at 0 as a reconnecting encoder's does.
Halves split(const lt::Demuxed& media) {
  constexpr int64_t kCut = 4000;
  Halves out;
  out.first.tracks = media.tracks;
  out.second.tracks = media.tracks;
  for (auto packet : media.packets) {
    if (packet.dts < kCut) {
      out.first.packets.push_back(packet);
    } else {
      packet.dts -= kCut;
      packet.pts -= kCut;
      out.second.packets.push_back(packet);
    }
  }
  return out;
}

void publish(Packager& packager, const std::string& id, bool record, const lt::Demuxed& media,
             EndReason reason) {
  auto sink = packager.open(PublishGrant{id, record});
  lt::feed(*sink, media);
  sink->finish(reason);
}

std::vector<double> packet_times(const fs::path& entry) {
  const auto probe = lt::run({"ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                              "packet=dts_time", "-of", "csv=p=0", (entry).string()});
  INFO(probe.output);
  REQUIRE(probe.status == 0);
  std::vector<double> out;
  std::istringstream lines(probe.output);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) out.push_back(std::stod(line));
  }
  return out;
}

}  // namespace

TEST_CASE("a reconnect continues the playlists after a discontinuity", "[packager]") {
  const lt::Demuxed media = lt::demux_flv(lt::fixture("av"));
  const Halves halves = split(media);
  lt::Run run;
  int64_t now = lt::kNoon;
  run.options.clock = [&now] { return now; };
  Packager packager(run.config, run.options);
  const fs::path dir = run.live("r");

  publish(packager, "r", true, halves.first, EndReason::publisher_timeout);
  const auto paused = packager.view("r");
  REQUIRE(paused != nullptr);
  REQUIRE(paused->video() != nullptr);
  CHECK_FALSE(paused->ended);
  const auto& before = paused->video()->segments;
  REQUIRE(before.size() == 2);
  const int64_t first_end = before.back().start_ms + before.back().duration_ms;
  CHECK(lt::text_of(dir / "video.m3u8").find("#EXT-X-ENDLIST") == std::string::npos);
  CHECK(lt::text_of(dir / "video.m3u8").find("#EXT-X-DISCONTINUITY") == std::string::npos);

  now += 30'000;  // the publisher is back half a minute later
  publish(packager, "r", true, halves.second, EndReason::publisher_closed);
  const auto resumed = packager.view("r");
  REQUIRE(resumed != nullptr);
  REQUIRE(resumed->video() != nullptr);
  const auto& segments = resumed->video()->segments;
  REQUIRE(segments.size() == 3);
  for (size_t i = 0; i < segments.size(); ++i) {
    CHECK(segments[i].number == i + 1);
    if (i > 0) CHECK(segments[i].start_ms > segments[i - 1].start_ms);
  }
  CHECK(segments[2].discontinuity);
  // The timeline moved on with the wall clock, so the live edge of the MPD stays true.
  CHECK(segments[2].start_ms >= first_end);
  CHECK(segments[2].start_ms == 30'000);

  const std::string video = lt::text_of(dir / "video.m3u8");
  INFO(video);
  CHECK(lt::count_of(video, "#EXT-X-DISCONTINUITY\n") == 1);
  // The init segment is the same, so the MAP before it still applies; the
  // wall clock shows the half minute the publisher was away.
  CHECK(video.find("v_2.m4s\n#EXT-X-DISCONTINUITY\n"
                   "#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:30.067Z\n"
                   "#EXT-X-PART:DURATION=") != std::string::npos);
  CHECK(video.find(",URI=\"v_3_p0.m4s\",INDEPENDENT=YES\n") != std::string::npos);
  CHECK(video.find("#EXTINF:2.000,\nv_3.m4s\n") != std::string::npos);
  CHECK(lt::count_of(video, "#EXT-X-MAP:") == 1);
  CHECK(video.find("#EXT-X-ENDLIST") == std::string::npos);
  CHECK(lt::count_of(lt::text_of(dir / "audio.m3u8"), "#EXT-X-DISCONTINUITY\n") == 1);
  CHECK(lt::segments_of(dir / "audio.m3u8").back().uri == "a_3.m4s");
  CHECK_FALSE(fs::exists(dir / "init_v_1.mp4"));  // same configuration, same init segment
  CHECK_FALSE(fs::exists(dir / "init_a_1.mp4"));
  const std::string mpd = lt::text_of(dir / "manifest.mpd");
  CHECK(lt::count_of(mpd, "<Period ") == 2);
  CHECK(mpd.find("<Period id=\"1\" start=\"PT30S\">") != std::string::npos);
  CHECK(mpd.find("type=\"dynamic\"") != std::string::npos);

  const auto ended = packager.end_stream("r");
  CHECK(packager.view("r") == nullptr);
  CHECK(ended.recorded);
  CHECK(ended.vod_playlist == "vods/r.m3u8");
  CHECK(ended.vod_mp4 == "vods/r.mp4");
  const double shown = lt::timeline_seconds(halves.first) + lt::timeline_seconds(halves.second);
  CHECK(ended.duration_seconds == Approx(shown).margin(0.034));

  CHECK(lt::text_of(dir / "video.m3u8").find("#EXT-X-ENDLIST") != std::string::npos);
  const std::string static_mpd = lt::text_of(dir / "manifest.mpd");
  CHECK(static_mpd.find("type=\"static\"") != std::string::npos);
  // Played back to back: the second period starts where the first ends.
  CHECK(static_mpd.find("<Period id=\"1\" start=\"PT4.") != std::string::npos);
  const auto hls = lt::decode(dir / "index.m3u8");
  INFO(hls.output);
  CHECK(hls.status == 0);
  CHECK(hls.output.empty());
  const auto times = packet_times(dir / "video.m3u8");
  CHECK(times.size() == 180);
  for (size_t i = 1; i < times.size(); ++i) {
    if (times[i] <= times[i - 1]) FAIL("packet " << i << " goes back to " << times[i]);
  }
  const auto vod = lt::decode(run.vods() / "r.m3u8");
  INFO(vod.output);
  CHECK(vod.status == 0);
  CHECK(vod.output.empty());
  CHECK(lt::count_of(lt::text_of(run.vods() / "r_video.m3u8"), "#EXT-X-DISCONTINUITY\n") == 1);

  const fs::path mp4 = run.root.path() / "vods" / "r.mp4";
  CHECK(lt::mp4_duration(mp4) == Approx(shown).margin(0.1));
  CHECK(lt::faststart(mp4));
  CHECK(lt::packet_count(mp4, "v:0") == 180);
  CHECK(lt::packet_count(mp4, "a:0") == lt::packet_count(dir / "audio.m3u8", "a:0"));
  CHECK(lt::packet_count(mp4, "a:0") > 250);  // 6 s of 48 kHz AAC is 281 frames
  const auto decoded = lt::decode(mp4);
  INFO(decoded.output);
  CHECK(decoded.status == 0);
  CHECK(decoded.output.empty());
  const auto mp4_times = packet_times(mp4);
  for (size_t i = 1; i < mp4_times.size(); ++i) {
    if (mp4_times[i] <= mp4_times[i - 1]) FAIL("MP4 packet " << i << " goes back");
  }

  SECTION("ending it again changes nothing") {
    const auto mp4_bytes = looplive::test::read_bytes(mp4);
    const auto again = packager.end_stream("r");
    CHECK_FALSE(again.recorded);
    CHECK(again.duration_seconds == 0);
    CHECK(looplive::test::read_bytes(mp4) == mp4_bytes);
    CHECK(lt::text_of(dir / "video.m3u8").find("#EXT-X-ENDLIST") != std::string::npos);
  }
}

TEST_CASE("a reconnect with another codec configuration gets new init segments", "[packager]") {
  const lt::Demuxed first = lt::demux_flv(lt::fixture("av"));
  const lt::Demuxed second = lt::demux_flv(lt::fixture("small"));
  lt::Run run;
  Packager packager(run.config, run.options);
  publish(packager, "n", true, first, EndReason::publisher_closed);
  publish(packager, "n", true, second, EndReason::publisher_closed);
  const fs::path dir = run.live("n");
  CHECK(fs::exists(dir / "init_v_1.mp4"));
  CHECK_FALSE(fs::exists(dir / "init_a_1.mp4"));  // the audio did not change
  const std::string video = lt::text_of(dir / "video.m3u8");
  INFO(video);
  CHECK(video.find("#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"init_v_1.mp4\"\n") != std::string::npos);
  CHECK(lt::segments_of(dir / "video.m3u8").size() == 6);

  const auto ended = packager.end_stream("n");
  CHECK(ended.recorded);
  // An MP4 track holds one codec configuration; the HLS and DASH VOD cover the change.
  CHECK_FALSE(ended.vod_mp4.has_value());
  CHECK_FALSE(fs::exists(run.vods() / "n.mp4"));
  // FFmpeg's HLS reader keeps the first SPS across the new EXT-X-MAP and
  // complains while decoding, as in the codec change within one publish.
  const auto vod = lt::decode(run.vods() / "n.m3u8");
  INFO(vod.output);
  CHECK(vod.status == 0);
}

TEST_CASE("ending a stream nothing was packaged for is harmless", "[packager]") {
  lt::Run run;
  Packager packager(run.config, run.options);
  const auto ended = packager.end_stream("nobody");
  CHECK_FALSE(ended.recorded);
  CHECK_FALSE(ended.vod_playlist.has_value());
  CHECK(ended.duration_seconds == 0);
  CHECK(fs::is_empty(run.root.path()));

  // A publish that never got a packet leaves nothing to end either.
  auto sink = packager.open(PublishGrant{"silent", true});
  sink->finish(EndReason::publisher_closed);
  const auto silent = packager.end_stream("silent");
  CHECK_FALSE(silent.recorded);
  CHECK(fs::is_empty(run.root.path()));
}

TEST_CASE("publishes of one stream may come from different threads", "[packager]") {
  const lt::Demuxed media = lt::demux_flv(lt::fixture("av"));
  const Halves halves = split(media);
  lt::Run run;
  Packager packager(run.config, run.options);
  std::atomic<bool> done{false};
  std::atomic<uint64_t> seen{0};
  // An origin reading views all along, as the HTTP threads do.
  std::thread reader([&] {
    while (!done) {
      if (const auto view = packager.view("x"); view && view->video()) {
        seen = std::max<uint64_t>(seen, view->video()->segments.size());
      }
      std::this_thread::yield();
    }
  });
  std::thread first([&] { publish(packager, "x", false, halves.first, EndReason::kicked); });
  first.join();
  std::thread second([&] { publish(packager, "x", false, halves.second, EndReason::kicked); });
  second.join();
  // The reconnecting view stays up; give the reader time to see it.
  for (int i = 0; i < 5000 && seen < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  looplive::packager::EndResult ended;
  std::thread closer([&] { ended = packager.end_stream("x"); });
  closer.join();
  done = true;
  reader.join();
  CHECK(seen == 3);
  CHECK(ended.duration_seconds ==
        Approx(lt::timeline_seconds(halves.first) + lt::timeline_seconds(halves.second))
            .margin(0.001));
  const auto listed = lt::segments_of(run.live("x") / "video.m3u8");
  REQUIRE(listed.size() == 3);
  CHECK(listed[2].uri == "v_3.m4s");
}
