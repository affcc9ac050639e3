#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "looplive/packager/packager.hpp"
#include "media_fixture.hpp"
#include "mp4_checks.hpp"
#include "packaging_run.hpp"

using looplive::core::PublishGrant;
using looplive::packager::Packager;
namespace lt = looplive::packager::testing;
namespace fs = std::filesystem;

namespace {

// Packages the media up to `until_ms` in a child process that then dies by
// SIGKILL, as a crashed server would: no finish(), no destructor, nothing
// flushed that was not already on disk.
void package_and_die(const lt::Run& run, const std::string& id, bool record,
                     const lt::Demuxed& media, int64_t until_ms) {
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    Packager packager(run.config, run.options);
    auto sink = packager.open(PublishGrant{id, record});
    for (const auto& track : media.tracks) sink->on_track(track);
    for (const auto& packet : media.packets) {
      if (packet.dts < until_ms) sink->on_packet(packet);
    }
    kill(getpid(), SIGKILL);
    _exit(1);  // not reached
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WTERMSIG(status) == SIGKILL);
}

}  // namespace

TEST_CASE("a recorded stream is finalized from disk after a crash", "[packager]") {
  const lt::Demuxed media = lt::demux_flv(lt::fixture("av"));
  lt::Run run;
  // Segments 1 and 2 of each track are complete at 5 s; the third is still open, in memory.
  package_and_die(run, "k", true, media, 5000);
  const fs::path dir = run.live("k");
  REQUIRE(fs::exists(dir / "recording_video.m3u8"));
  CHECK(lt::text_of(dir / "recording_video.m3u8").find("#EXT-X-PLAYLIST-TYPE:EVENT") !=
        std::string::npos);
  CHECK(lt::text_of(dir / "video.m3u8").find("#EXT-X-ENDLIST") == std::string::npos);
  // What dying while writing leaves: a half-written temporary file, and a
  // finished segment the index does not list yet.
  looplive::test::write_bytes(dir / ".v_3.m4s.tmp", {1, 2, 3});
  looplive::test::write_bytes(dir / ".recording_video.m3u8.tmp", {'#'});
  looplive::test::write_bytes(dir / "v_3.m4s", std::vector<uint8_t>(4096, 0xee));
  {  // and an append to the index cut short
    std::ofstream index(dir / "recording_video.m3u8", std::ios::app);
    index << "#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:04.000Z\n#LOOPLIVE-SEGMENT:NUMBER=3,ST";
  }

  Packager packager(run.config, run.options);
  CHECK(packager.view("k") == nullptr);
  const auto result = packager.recover_stream("k", true);
  CHECK(result.recorded);
  CHECK(result.vod_playlist == "vods/k.m3u8");
  CHECK(result.vod_mp4 == "vods/k.mp4");
  CHECK(result.duration_seconds == Approx(4.0).margin(0.05));
  CHECK_FALSE(fs::exists(dir / ".v_3.m4s.tmp"));
  CHECK_FALSE(fs::exists(dir / ".recording_video.m3u8.tmp"));

  const auto video = lt::segments_of(run.vods() / "k_video.m3u8");
  REQUIRE(video.size() == 2);
  CHECK(video.back().uri == "../live/k/v_2.m4s");
  CHECK(lt::segments_of(run.vods() / "k_audio.m3u8").size() == 2);
  CHECK(lt::text_of(dir / "video.m3u8").find("#EXT-X-ENDLIST") != std::string::npos);
  CHECK(lt::text_of(dir / "manifest.mpd").find("type=\"static\"") != std::string::npos);
  for (const char* entry : {"k.m3u8", "k.mpd", "k.mp4"})
    lt::check_decodes_clean(run.vods() / entry);
  const fs::path mp4 = run.vods() / "k.mp4";
  CHECK(lt::packet_count(mp4, "v:0") == 120);  // 4 s at 30 fps
  CHECK(lt::mp4_duration(mp4) == Approx(4.0).margin(0.1));
  CHECK(lt::faststart(mp4));
}

TEST_CASE("every rendition of a ladder is recovered after a crash", "[packager]") {
  const lt::Demuxed media = lt::with_rendition(lt::demux_flv(lt::fixture("av")),
                                               lt::demux_flv(lt::fixture("small")), 2, 1);
  lt::Run run;
  package_and_die(run, "l", true, media, 5000);
  const fs::path dir = run.live("l");
  REQUIRE(fs::exists(dir / "recording_video_1.m3u8"));

  Packager packager(run.config, run.options);
  const auto result = packager.recover_stream("l", true);
  CHECK(result.recorded);
  CHECK(lt::segments_of(run.vods() / "l_video.m3u8").size() == 2);
  const auto rung = lt::segments_of(run.vods() / "l_video_1.m3u8");
  REQUIRE(rung.size() == 2);
  CHECK(rung.back().uri == "../live/l/v1_2.m4s");
  CHECK(lt::count_of(lt::text_of(run.vods() / "l.m3u8"), "#EXT-X-STREAM-INF:") == 2);
  CHECK(lt::text_of(dir / "video_1.m3u8").find("#EXT-X-ENDLIST") != std::string::npos);
  for (const char* entry : {"l.m3u8", "l.mpd", "l.mp4"})
    lt::check_decodes_clean(run.vods() / entry);
}

TEST_CASE("an unrecorded stream's playlists are closed after a crash", "[packager]") {
  const lt::Demuxed media = lt::demux_flv(lt::fixture("av"));
  lt::Run run;
  package_and_die(run, "u", false, media, 5000);
  const fs::path dir = run.live("u");
  REQUIRE(fs::exists(dir / "video.m3u8"));
  CHECK_FALSE(fs::exists(dir / "recording_video.m3u8"));
  looplive::test::write_bytes(dir / ".v_3.m4s.tmp", {1, 2, 3});

  Packager packager(run.config, run.options);
  const auto result = packager.recover_stream("u", false);
  CHECK_FALSE(result.recorded);
  CHECK_FALSE(result.vod_mp4.has_value());
  CHECK_FALSE(fs::exists(run.vods()));
  CHECK_FALSE(fs::exists(dir / ".v_3.m4s.tmp"));
  CHECK(lt::count_of(lt::text_of(dir / "video.m3u8"), "#EXT-X-ENDLIST") == 1);
  CHECK(lt::count_of(lt::text_of(dir / "audio.m3u8"), "#EXT-X-ENDLIST") == 1);
  const auto hls = lt::decode(dir / "index.m3u8");
  INFO(hls.output);
  CHECK(hls.status == 0);
  CHECK(hls.output.empty());
}

TEST_CASE("recovering a stream still held in memory ends it", "[packager]") {
  const lt::Demuxed media = lt::demux_flv(lt::fixture("av"));
  lt::Run run;
  Packager packager(run.config, run.options);
  auto sink = packager.open(PublishGrant{"m", true});
  lt::feed(*sink, media);
  sink->finish(looplive::core::EndReason::shutdown);
  const auto result = packager.recover_stream("m", true);
  CHECK(result.recorded);
  CHECK(lt::segments_of(run.vods() / "m_video.m3u8").size() == 3);
  CHECK(packager.view("m") == nullptr);
}

TEST_CASE("a publish after a restart continues the recording instead of writing over it",
          "[packager]") {
  const lt::Demuxed media = lt::demux_flv(lt::fixture("av"));
  lt::Run run;
  package_and_die(run, "r", true, media, 5000);  // v_1, v_2 and a_1, a_2 recorded
  const fs::path dir = run.live("r");
  const auto first_run_v1 = looplive::test::read_bytes(dir / "v_1.m4s");
  const auto first_run_init = looplive::test::read_bytes(dir / "init_v.mp4");

  // The new process: the seller reconnects within the window.
  Packager packager(run.config, run.options);
  auto sink = packager.open(PublishGrant{"r", true});
  lt::feed(*sink, media);
  sink->finish(looplive::core::EndReason::publisher_closed);
  const auto result = packager.end_stream("r");
  REQUIRE(result.recorded);
  CHECK(result.vod_mp4 == "vods/r.mp4");

  // The first run's files are untouched; the second run's came after them.
  CHECK(looplive::test::read_bytes(dir / "v_1.m4s") == first_run_v1);
  CHECK(looplive::test::read_bytes(dir / "init_v.mp4") == first_run_init);
  CHECK(fs::exists(dir / "init_v_1.mp4"));
  const auto video = lt::segments_of(run.vods() / "r_video.m3u8");
  REQUIRE(video.size() == 5);  // 2 from the first run, 3 from the second
  CHECK(video[0].uri == "../live/r/v_1.m4s");
  CHECK(video[2].uri == "../live/r/v_3.m4s");
  CHECK(video[4].uri == "../live/r/v_5.m4s");
  const std::string vod = lt::text_of(run.vods() / "r_video.m3u8");
  CHECK(lt::count_of(vod, "#EXT-X-DISCONTINUITY\n") == 1);
  CHECK(vod.find("init_v_1.mp4") != std::string::npos);
  CHECK(lt::segments_of(run.vods() / "r_audio.m3u8").size() == 5);
  CHECK(result.duration_seconds == Approx(4.0 + lt::timeline_seconds(media)).margin(0.1));
  for (const char* entry : {"r_video.m3u8", "r_audio.m3u8", "r.mp4"}) {
    const auto decoded = lt::decode(run.vods() / entry);
    INFO(entry << ": " << decoded.output);
    CHECK(decoded.status == 0);
  }
  CHECK(lt::packet_count(run.vods() / "r.mp4", "v:0") == 120 + 180);
}
