#include "stream_packager.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "looplive/packager/packager.hpp"
#include "media_fixture.hpp"
#include "packaging_run.hpp"
#include "recording_index.hpp"

using looplive::core::EndReason;
using looplive::core::MediaPacket;
using looplive::core::PacketSink;
using looplive::core::PublishGrant;
using looplive::packager::Packager;
using looplive::packager::StreamPackager;
namespace lt = looplive::packager::testing;
namespace fs = std::filesystem;
using looplive::packager::parse_recording_index;
using looplive::packager::render_recording_index;
using lt::decode;
using lt::feed;
using lt::Run;
using lt::segments_of;
using lt::source_seconds;
using lt::text_of;
using lt::total_seconds;

namespace {

// ffprobe on init + segment: no complaints, and the flags of the first sample.
std::string probe_first_flags(const fs::path& dir, const std::string& init,
                              const std::string& uri) {
  looplive::test::ScratchDir scratch("packager");
  std::vector<uint8_t> joined = looplive::test::read_bytes(dir / init);
  const auto segment = looplive::test::read_bytes(dir / uri);
  joined.insert(joined.end(), segment.begin(), segment.end());
  const auto file = scratch.path() / "joined.mp4";
  looplive::test::write_bytes(file, joined);
  const auto probe = lt::run({"ffprobe", "-v", "error", "-show_entries", "packet=flags", "-of",
                              "csv=p=0", (file).string()});
  INFO(uri << ": " << probe.output);
  CHECK(probe.status == 0);
  CHECK(probe.output.find_first_not_of("K_\n") == std::string::npos);  // flags only, no errors
  return probe.output.substr(0, probe.output.find('\n'));
}

void check_track(const fs::path& dir, const std::string& playlist, const std::string& init,
                 double expected_seconds, bool video, size_t expected_segments = 3) {
  const auto segments = segments_of(dir / playlist);
  REQUIRE(segments.size() == expected_segments);
  for (const auto& s : segments) {
    const std::string flags = probe_first_flags(dir, init, s.uri);
    if (video) CHECK(flags == "K_");
  }
  // Within one video frame of the source.
  CHECK(total_seconds(segments) == Approx(expected_seconds).margin(0.034));
}

}  // namespace

TEST_CASE("audio and video are packaged into playable CMAF, HLS and DASH", "[packager]") {
  const lt::Demuxed media = lt::demux_flv(lt::fixture("av"));
  Run run;
  Packager packager(run.config, run.options);
  auto sink = packager.open(PublishGrant{"s1", false});
  CHECK(packager.view("s1") == nullptr);  // nothing packaged yet
  feed(*sink, media);
  const auto live_view = packager.view("s1");
  REQUIRE(live_view != nullptr);
  CHECK_FALSE(live_view->ended);
  sink->finish(EndReason::publisher_closed);

  // The publisher is gone but the stream is not over: a reconnect may continue it.
  const fs::path dir = run.live("s1");
  INFO(text_of(dir / "video.m3u8"));
  check_track(dir, "video.m3u8", "init_v.mp4", source_seconds(media, 0), true);
  check_track(dir, "audio.m3u8", "init_a.mp4", source_seconds(media, 1), false);
  const auto video_segments = segments_of(dir / "video.m3u8");
  CHECK(video_segments[0].seconds == Approx(2.0).margin(0.001));
  CHECK(text_of(dir / "video.m3u8").find("#EXT-X-ENDLIST") == std::string::npos);
  // The first frame shown comes two frames (B-frames) after the first decoded.
  CHECK(text_of(dir / "video.m3u8").find("#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:00.067Z") !=
        std::string::npos);
  CHECK(text_of(dir / "manifest.mpd").find("type=\"dynamic\"") != std::string::npos);
  const std::string index = text_of(dir / "index.m3u8");
  CHECK(index.find("CODECS=\"avc1.64001e,mp4a.40.2\",RESOLUTION=640x360,FRAME-RATE=30.000") !=
        std::string::npos);

  const auto paused_view = packager.view("s1");
  REQUIRE(paused_view != nullptr);
  CHECK_FALSE(paused_view->ended);
  CHECK(paused_view->version > live_view->version);
  REQUIRE(paused_view->text("index.m3u8") != nullptr);
  CHECK(paused_view->text("index.m3u8")->text() == index);
  REQUIRE(paused_view->file("v_2.m4s") != nullptr);
  CHECK(looplive::test::read_bytes(dir / "v_2.m4s") ==
        std::vector<uint8_t>(paused_view->file("v_2.m4s")->span().begin(),
                             paused_view->file("v_2.m4s")->span().end()));
  CHECK(paused_view->file("v_9.m4s") == nullptr);
  REQUIRE(paused_view->video() != nullptr);
  CHECK(paused_view->video()->segments.size() == 3);
  sink.reset();
  CHECK(packager.view("s1") == paused_view);  // outlives the sink

  const auto ended = packager.end_stream("s1");
  CHECK_FALSE(ended.recorded);
  CHECK_FALSE(ended.vod_playlist.has_value());
  CHECK_FALSE(ended.vod_mp4.has_value());
  // Both tracks: audio runs a few milliseconds past the last video frame.
  CHECK(ended.duration_seconds == Approx(lt::timeline_seconds(media)).margin(0.001));
  CHECK(text_of(dir / "video.m3u8").find("#EXT-X-ENDLIST") != std::string::npos);
  CHECK(text_of(dir / "audio.m3u8").find("#EXT-X-ENDLIST") != std::string::npos);
  const auto hls = decode(dir / "index.m3u8");
  INFO(hls.output);
  CHECK(hls.status == 0);
  CHECK(hls.output.empty());
  const std::string mpd = text_of(dir / "manifest.mpd");
  CHECK(mpd.find("type=\"static\"") != std::string::npos);
  const auto dash = decode(dir / "manifest.mpd");
  INFO(dash.output);
  CHECK(dash.status == 0);
  CHECK(dash.output.empty());
  CHECK(fs::exists(run.vods()) == false);  // not recorded
  CHECK(packager.view("s1") == nullptr);
}

TEST_CASE("video-only and audio-only streams", "[packager]") {
  for (const std::string kind : {"video", "audio"}) {
    DYNAMIC_SECTION(kind) {
      const lt::Demuxed media = lt::demux_flv(lt::fixture(kind));
      Run run;
      Packager packager(run.config, run.options);
      auto sink = packager.open(PublishGrant{"solo", false});
      feed(*sink, media);
      sink->finish(EndReason::publisher_closed);
      packager.end_stream("solo");
      const fs::path dir = run.live("solo");
      const bool video = kind == "video";
      // Audio alone is cut on time: 6.08 s of AAC makes three 2 s segments and a short one.
      check_track(dir, video ? "video.m3u8" : "audio.m3u8", video ? "init_v.mp4" : "init_a.mp4",
                  source_seconds(media, video ? 0 : 1), video, video ? 3 : 4);
      CHECK(fs::exists(dir / (video ? "audio.m3u8" : "video.m3u8")) == false);
      const std::string index = text_of(dir / "index.m3u8");
      CHECK(index.find("EXT-X-MEDIA") == std::string::npos);
      CHECK(index.find(video ? "video.m3u8" : "audio.m3u8") != std::string::npos);
      const auto hls = decode(dir / "index.m3u8");
      INFO(hls.output);
      CHECK(hls.status == 0);
      CHECK(hls.output.empty());
    }
  }
}

TEST_CASE("the live window drops old segments unless the stream is recorded", "[packager]") {
  const lt::Demuxed media = lt::demux_flv(lt::fixture("av"));
  for (const bool record : {false, true}) {
    DYNAMIC_SECTION("record " << record) {
      Run run;
      run.config.live_window = 1;
      Packager packager(run.config, run.options);
      auto sink = packager.open(PublishGrant{"w", record});
      feed(*sink, media);
      sink->finish(EndReason::publisher_closed);
      const auto ended = packager.end_stream("w");
      CHECK(ended.recorded == record);
      CHECK(ended.vod_playlist.has_value() == record);
      CHECK(ended.vod_mp4.has_value() == record);
      const fs::path dir = run.live("w");
      const auto listed = segments_of(dir / "video.m3u8");
      REQUIRE(listed.size() == 1);
      CHECK(listed[0].uri == "v_3.m4s");
      CHECK(text_of(dir / "video.m3u8").find("#EXT-X-MEDIA-SEQUENCE:3") != std::string::npos);
      // One window of grace after leaving the playlist: v_2 stays, v_1 goes.
      CHECK(fs::exists(dir / "v_1.m4s") == record);
      CHECK(fs::exists(dir / "v_2.m4s"));
      CHECK(fs::exists(dir / "a_1.m4s") == record);
      const fs::path vod = run.root.path() / "vods" / "w.m3u8";
      CHECK(fs::exists(vod) == record);
      if (record) {
        CHECK(ended.vod_playlist == "vods/w.m3u8");
        CHECK(ended.vod_mp4 == "vods/w.mp4");
        CHECK(segments_of(run.root.path() / "vods" / "w_video.m3u8").size() == 3);
        CHECK(text_of(run.root.path() / "vods" / "w_video.m3u8").find("../live/w/v_1.m4s") !=
              std::string::npos);
        const auto hls = decode(vod);
        INFO(hls.output);
        CHECK(hls.status == 0);
        CHECK(hls.output.empty());
        const auto dash = decode(run.root.path() / "vods" / "w.mpd");
        INFO(dash.output);
        CHECK(dash.status == 0);
        CHECK(dash.output.empty());
      }
    }
  }
}

TEST_CASE("a new codec configuration starts a new init segment after a discontinuity",
          "[packager]") {
  const lt::Demuxed first = lt::demux_flv(lt::fixture("av"));
  lt::Demuxed second = lt::demux_flv(lt::fixture("small"));
  Run run;
  Packager packager(run.config, run.options);
  auto sink = packager.open(PublishGrant{"c", false});
  feed(*sink, first);
  // The encoder switches to 320x180 without resetting its clock.
  for (auto& p : second.packets) {
    p.dts += 6100;
    p.pts += 6100;
  }
  feed(*sink, second);
  sink->finish(EndReason::publisher_closed);
  packager.end_stream("c");
  auto* packager_sink = dynamic_cast<StreamPackager*>(sink.get());
  REQUIRE(packager_sink != nullptr);
  CHECK_FALSE(packager_sink->failed());
  CHECK(packager_sink->counts().jumps == 0);

  const fs::path dir = run.live("c");
  CHECK(fs::exists(dir / "init_v_1.mp4"));
  CHECK(fs::exists(dir / "init_a.mp4"));
  CHECK_FALSE(fs::exists(dir / "init_a_1.mp4"));  // same audio configuration
  const std::string video = text_of(dir / "video.m3u8");
  INFO(video);
  CHECK(video.find("#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"init_v_1.mp4\"") != std::string::npos);
  CHECK(text_of(dir / "audio.m3u8").find("#EXT-X-DISCONTINUITY\n") != std::string::npos);
  CHECK(text_of(dir / "manifest.mpd").find("<Period id=\"1\"") != std::string::npos);
  for (const auto& s : segments_of(dir / "video.m3u8")) {
    const bool after = std::stoi(s.uri.substr(2)) >= 4;
    CHECK(probe_first_flags(dir, after ? "init_v_1.mp4" : "init_v.mp4", s.uri) == "K_");
  }
  const auto hls = decode(dir / "index.m3u8");
  INFO(hls.output);
  CHECK(hls.status == 0);
}

TEST_CASE("a lone track waits a second for the other one, which is then ignored", "[packager]") {
  const lt::Demuxed media = lt::demux_flv(lt::fixture("av"));
  Run run;
  Packager packager(run.config, run.options);
  auto sink = packager.open(PublishGrant{"late", false});
  sink->on_track(media.tracks[0].id == 0 ? media.tracks[0] : media.tracks[1]);
  const fs::path init = run.live("late") / "init_v.mp4";
  size_t i = 0;
  for (; i < media.packets.size() && media.packets[i].dts < 900; ++i) {
    sink->on_packet(media.packets[i]);
  }
  CHECK_FALSE(fs::exists(init));  // still waiting for audio
  for (; i < media.packets.size() && media.packets[i].dts < 1100; ++i) {
    sink->on_packet(media.packets[i]);
  }
  CHECK(fs::exists(init));  // a second of video without audio: video only
  for (const auto& track : media.tracks) sink->on_track(track);
  for (; i < media.packets.size(); ++i) sink->on_packet(media.packets[i]);
  sink->finish(EndReason::publisher_closed);
  const fs::path dir = run.live("late");
  CHECK_FALSE(fs::exists(dir / "audio.m3u8"));
  CHECK(total_seconds(segments_of(dir / "video.m3u8")) ==
        Approx(source_seconds(media, 0)).margin(0.034));
  auto* packager_sink = dynamic_cast<StreamPackager*>(sink.get());
  REQUIRE(packager_sink != nullptr);
  CHECK(packager_sink->counts().dropped > 0);  // the audio before its track was known
}

TEST_CASE("without disk output the view alone carries the stream", "[packager]") {
  const lt::Demuxed media = lt::demux_flv(lt::fixture("av"));
  Run run;
  run.config.write_live_to_disk = false;
  Packager packager(run.config, run.options);
  auto sink = packager.open(PublishGrant{"mem", false});
  feed(*sink, media);
  sink->finish(EndReason::publisher_closed);
  CHECK_FALSE(fs::exists(run.live("mem")));
  const auto view = packager.view("mem");
  REQUIRE(view != nullptr);
  CHECK(view->stream_id == "mem");
  REQUIRE(view->file("init_v.mp4") != nullptr);
  REQUIRE(view->file("a_3.m4s") != nullptr);
  REQUIRE(view->text("audio.m3u8") != nullptr);
  CHECK(view->text("audio.m3u8")->text().find("a_3.m4s") != std::string::npos);
  CHECK(view->mpd.text().find("<MPD") != std::string::npos);
  CHECK(view->text("nothing.m3u8") == nullptr);
}

TEST_CASE("a recorded stream without the live window on disk stores only what the recording needs",
          "[packager]") {
  const lt::Demuxed media = lt::demux_flv(lt::fixture("av"));
  Run run;
  run.config.write_live_to_disk = false;
  Packager packager(run.config, run.options);
  auto sink = packager.open(PublishGrant{"rec", true});
  feed(*sink, media);
  const fs::path dir = run.live("rec");
  // While live: segments, init segments and the recording index on disk; the
  // playlists and MPD only in the view.
  const auto view = packager.view("rec");
  REQUIRE(view != nullptr);
  REQUIRE(view->text("video.m3u8") != nullptr);
  CHECK(fs::exists(dir / "init_v.mp4"));
  CHECK(fs::exists(dir / "v_1.m4s"));
  CHECK(fs::exists(dir / "recording_video.m3u8"));
  for (const char* name : {"video.m3u8", "audio.m3u8", "index.m3u8", "manifest.mpd"}) {
    INFO(name);
    CHECK_FALSE(fs::exists(dir / name));
  }
  sink->finish(EndReason::publisher_closed);
  REQUIRE(packager.end_stream("rec").recorded);
  // The VOD is complete and decodes.
  const size_t recorded = segments_of(dir / "recording_video.m3u8").size();
  CHECK(recorded >= 3);
  CHECK(segments_of(run.vods() / "rec_video.m3u8").size() == recorded);
  const auto decoded = lt::decode(run.vods() / "rec.m3u8");
  INFO(decoded.output);
  CHECK(decoded.status == 0);
  // The closed live playlists are left on disk, for players still polling them.
  CHECK(text_of(dir / "video.m3u8").find("#EXT-X-ENDLIST") != std::string::npos);
  CHECK(text_of(dir / "audio.m3u8").find("#EXT-X-ENDLIST") != std::string::npos);
  CHECK(text_of(dir / "index.m3u8").find("video.m3u8") != std::string::npos);
  CHECK(text_of(dir / "manifest.mpd").find("type=\"static\"") != std::string::npos);
}

TEST_CASE("files are written off the packaging thread, in order, and the VOD waits for them",
          "[packager]") {
  const lt::Demuxed media = lt::demux_flv(lt::fixture("av"));
  Run run;
  // A disk pool that has not got round to anything yet.
  std::vector<std::function<void()>> held;
  run.options.disk_executor = [&held](std::function<void()> job) {
    held.push_back(std::move(job));
  };
  Packager packager(run.config, run.options);
  auto sink = packager.open(PublishGrant{"d", true});
  feed(*sink, media);
  sink->finish(EndReason::publisher_closed);

  // Viewers already have every segment from memory; the disk has nothing yet.
  const auto view = packager.view("d");
  REQUIRE(view != nullptr);
  REQUIRE(view->video() != nullptr);
  CHECK(view->video()->segments.size() == 3);
  CHECK(view->file("v_3.m4s") != nullptr);
  const fs::path dir = run.live("d");
  CHECK_FALSE(fs::exists(dir / "v_1.m4s"));
  REQUIRE(held.size() == 1);  // one run for the stream's whole queue

  // The pool gets to it: every segment before the playlists that list it.
  std::thread disk([&held] { held.front()(); });
  disk.join();
  CHECK(segments_of(dir / "video.m3u8").size() == 3);
  CHECK(segments_of(dir / "recording_video.m3u8").size() == 3);
  // Grown by appends, the index reads exactly as if written whole.
  const std::string index = text_of(dir / "recording_video.m3u8");
  const auto recorded = parse_recording_index(index);
  REQUIRE(recorded.ok());
  CHECK(render_recording_index(recorded->track, recorded->segments) == index);
  for (const char* name : {"init_v.mp4", "v_1.m4s", "v_2.m4s", "v_3.m4s", "a_3.m4s"})
    CHECK(fs::exists(dir / name));

  // More writes queue up behind a busy pool; ending the stream runs them itself.
  held.clear();
  const auto ended = packager.end_stream("d");
  CHECK(ended.recorded);
  CHECK(ended.vod_mp4 == "vods/d.mp4");
  CHECK(text_of(dir / "video.m3u8").find("#EXT-X-ENDLIST") != std::string::npos);
  CHECK(segments_of(run.vods() / "d_video.m3u8").size() == 3);
  const auto vod = decode(run.vods() / "d.m3u8");
  INFO(vod.output);
  CHECK(vod.status == 0);
  for (auto& job : held) job();  // late runs find an empty queue
}

TEST_CASE("a disk that falls too far behind stops the stream's writes, not its viewers",
          "[packager]") {
  const lt::Demuxed media = lt::demux_flv(lt::fixture("av"));
  Run run;
  // A disk pool that never gets round to anything while the show runs.
  std::vector<std::function<void()>> held;
  run.options.disk_executor = [&held](std::function<void()> job) {
    held.push_back(std::move(job));
  };
  // Bounded by the count of writes, then by the bytes they hold.
  if (GENERATE(false, true))
    run.options.max_queued_bytes = 300'000;
  else
    run.options.max_queued_writes = 12;
  INFO("writes " << run.options.max_queued_writes << ", bytes " << run.options.max_queued_bytes);
  Packager packager(run.config, run.options);
  auto sink = packager.open(PublishGrant{"slow", true});
  feed(*sink, media);
  sink->finish(EndReason::publisher_closed);

  // Viewers have every segment from memory.
  const auto view = packager.view("slow");
  REQUIRE(view != nullptr);
  REQUIRE(view->video() != nullptr);
  CHECK(view->video()->segments.size() == 3);

  // The disk catches up: it stored what was queued before the bound, and the
  // recording index names exactly the segments it holds.
  REQUIRE(held.size() == 1);
  held.front()();
  held.clear();
  const fs::path dir = run.live("slow");
  const auto recorded = parse_recording_index(text_of(dir / "recording_video.m3u8"));
  REQUIRE(recorded.ok());
  CHECK(recorded->segments.size() >= 1);
  CHECK(recorded->segments.size() < 3);
  for (const auto& segment : recorded->segments) CHECK(fs::exists(dir / segment.uri));
  CHECK_FALSE(fs::exists(dir / "v_3.m4s"));

  // The replay is what was stored, and it plays.
  const auto ended = packager.end_stream("slow");
  CHECK(ended.recorded);
  const auto vod = decode(run.vods() / "slow.m3u8");
  INFO(vod.output);
  CHECK(vod.status == 0);
  for (auto& job : held) job();
}

TEST_CASE("the live MPD lists the segment being written, served chunk by chunk as it grows",
          "[packager]") {
  const lt::Demuxed media = lt::demux_flv(lt::fixture("av"));
  Run run;
  Packager packager(run.config, run.options);
  auto sink = packager.open(PublishGrant{"ll", false});
  for (const auto& track : media.tracks) sink->on_track(track);
  // For each segment seen growing: its chunks joined, as last seen.
  std::map<std::string, std::vector<uint8_t>> grown;
  size_t growing_views = 0;
  size_t first_segment_views = 0;
  for (const auto& packet : media.packets) {
    sink->on_packet(packet);
    const auto view = packager.view("ll");
    if (view == nullptr || !view->video() || view->video()->growing_uri.empty()) continue;
    ++growing_views;
    const std::string& name = view->video()->growing_uri;
    const auto progress = view->progress(name);
    REQUIRE(progress.has_value());
    CHECK_FALSE(progress->complete);
    if (view->video()->segments.empty()) {
      // The show's first segment: the MPD lists it (and nothing else) from its first part.
      // (once each track has its first part).
      CHECK_FALSE(progress->chunks.empty());
      CHECK(view->text("index.m3u8") == nullptr);
      if (view->text("manifest.mpd") != nullptr) ++first_segment_views;
    } else {
      // Listed from the moment the segment before it ends, where it starts.
      const auto& last = view->video()->segments.back();
      CHECK(name.ends_with("_t" + std::to_string(last.start_ms + last.duration_ms) + ".m4s"));
    }
    std::vector<uint8_t> joined;
    for (const auto& chunk : progress->chunks)
      joined.insert(joined.end(), chunk.span().begin(), chunk.span().end());
    std::vector<uint8_t>& before = grown[name];
    // It only ever grows: what a player already has stays the start of it.
    CHECK(std::equal(before.begin(), before.end(), joined.begin()));
    before = std::move(joined);
    if (view->mpd.empty()) continue;
    // The MPD lists it as fetchable from its first chunk, with the longest
    // duration it can have (2.4 s with 2 s segments, and an audio frame).
    CHECK(view->mpd.text().find(
              "availabilityTimeOffset=\"2.167\" availabilityTimeComplete=\"false\"") !=
          std::string::npos);
    CHECK(view->mpd.text().find(" d=\"2500\"/>") != std::string::npos);
    CHECK(view->mpd.text().find("minimumUpdatePeriod=\"PT0.333S\"") != std::string::npos);
    CHECK(view->mpd.text().find("<Latency target=\"1332\"") != std::string::npos);
  }
  CHECK(growing_views > 10);
  CHECK(first_segment_views > 2);
  CHECK(grown.size() >= 2);
  sink->finish(EndReason::publisher_closed);
  const auto view = packager.view("ll");
  REQUIRE(view != nullptr);
  REQUIRE(view->video() != nullptr);
  CHECK(view->video()->growing_uri.empty());  // nothing grows once the publisher is gone
  CHECK(view->mpd.text().find("<S d=\"2500\"/>") == std::string::npos);
  CHECK(view->mpd.text().find("availabilityTimeComplete") == std::string::npos);
  // Each segment, once whole, starts with every byte served while it grew.
  size_t whole = 0;
  for (const auto& [name, bytes] : grown) {
    const auto progress = view->progress(name);
    if (!progress) continue;  // already out of the window
    ++whole;
    CHECK(progress->complete);
    REQUIRE(progress->chunks.size() == 1);
    const auto finished = progress->chunks.front().span();
    REQUIRE(finished.size() >= bytes.size());
    CHECK(std::equal(bytes.begin(), bytes.end(), finished.begin()));
  }
  CHECK(whole >= 2);
  // The copy on disk, for other web servers, lists finished segments only.
  const std::string on_disk = lt::text_of(run.live("ll") / "manifest.mpd");
  CHECK(on_disk.find("availabilityTimeOffset") == std::string::npos);
}
