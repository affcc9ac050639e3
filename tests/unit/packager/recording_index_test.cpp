#include "recording_index.hpp"

#include <catch2/catch.hpp>
#include <span>
#include <string>
#include <vector>

using looplive::core::Codec;
using looplive::core::MediaKind;
using looplive::core::TrackInfo;
using namespace looplive::packager;

namespace {

SegmentInfo segment(uint64_t number, int64_t start, int64_t duration, uint64_t period,
                    std::string init) {
  SegmentInfo s;
  s.number = number;
  s.uri = "v_" + std::to_string(number) + ".m4s";
  s.init_uri = std::move(init);
  s.start_ms = start;
  s.duration_ms = duration;
  s.wall_clock_ms = 1714564800000 + start;
  s.discontinuity_index = period;
  return s;
}

}  // namespace

TEST_CASE("the recording index reads back what was written", "[packager]") {
  TrackInfo video;
  video.kind = MediaKind::video;
  video.codec = Codec::hevc;
  video.codec_string = "hvc1.1.6.L93.B0";
  video.width = 1280;
  video.height = 720;
  video.frame_rate = 30000.0 / 1001;
  std::vector<SegmentInfo> segments{segment(1, 0, 2002, 0, "init_v.mp4"),
                                    segment(2, 2002, 1001, 0, "init_v.mp4"),
                                    segment(3, 30000, 2002, 2, "init_v_1.mp4")};
  segments[2].discontinuity = true;
  segments[1].presentation_offset_ms = 67;  // B-frames: the first frame shown comes later

  const std::string text = render_recording_index(video, segments);
  CHECK(text.find("#EXT-X-PLAYLIST-TYPE:EVENT\n") != std::string::npos);
  CHECK(text.find("#EXT-X-ENDLIST") == std::string::npos);
  CHECK(text.find("#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"init_v_1.mp4\"\n") != std::string::npos);
  const auto parsed = parse_recording_index(text);
  REQUIRE(parsed.ok());
  CHECK(parsed->track.kind == MediaKind::video);
  CHECK(parsed->track.rendition == 0);
  CHECK(parsed->track.codec == Codec::hevc);
  CHECK(parsed->track.codec_string == video.codec_string);
  CHECK(parsed->track.width == 1280);
  CHECK(parsed->track.height == 720);
  CHECK(parsed->track.frame_rate == video.frame_rate);  // exact, not rounded
  REQUIRE(parsed->segments.size() == 3);
  for (size_t i = 0; i < segments.size(); ++i) {
    const SegmentInfo& got = parsed->segments[i];
    CHECK(got.number == segments[i].number);
    CHECK(got.uri == segments[i].uri);
    CHECK(got.init_uri == segments[i].init_uri);
    CHECK(got.start_ms == segments[i].start_ms);
    CHECK(got.duration_ms == segments[i].duration_ms);
    CHECK(got.wall_clock_ms == segments[i].wall_clock_ms);
    CHECK(got.presentation_offset_ms == segments[i].presentation_offset_ms);
    CHECK(got.discontinuity == segments[i].discontinuity);
    CHECK(got.discontinuity_index == segments[i].discontinuity_index);
  }

  TrackInfo audio;
  audio.kind = MediaKind::audio;
  audio.rendition = 2;
  audio.codec = Codec::opus;
  audio.codec_string = "opus";
  audio.sample_rate = 48000;
  audio.channels = 2;
  const auto sound = parse_recording_index(render_recording_index(audio, {}));
  REQUIRE(sound.ok());
  CHECK(sound->track.key() == audio.key());
  CHECK(sound->track.codec == Codec::opus);
  CHECK(sound->track.sample_rate == 48000);
  CHECK(sound->track.channels == 2);
  CHECK(sound->segments.empty());
}

TEST_CASE("an index grown by appended entries is the index written whole", "[packager]") {
  TrackInfo video;
  video.codec_string = "avc1.64001e";
  std::vector<SegmentInfo> segments{segment(1, 0, 2000, 0, "init_v.mp4"),
                                    segment(2, 2000, 1800, 0, "init_v.mp4"),
                                    segment(3, 9000, 2000, 1, "init_v_1.mp4")};
  segments[2].discontinuity = true;
  std::string appended = render_recording_index(video, std::span(segments).first(1));
  for (size_t i = 1; i < segments.size(); ++i)
    appended += render_recording_entry(&segments[i - 1], segments[i]);
  CHECK(appended == render_recording_index(video, segments));
  CHECK(recording_target_seconds(2000) == 2);
  CHECK(recording_target_seconds(2001) == 3);  // would not fit an index with target 2
  CHECK(recording_target_seconds(0) == 1);

  SECTION("an append cut short by a crash loses that entry alone") {
    const std::string whole = render_recording_index(video, segments);
    const std::string entry = render_recording_entry(&segments[1], segments[2]);
    const std::string before = whole.substr(0, whole.size() - entry.size());
    for (size_t cut : {size_t{1}, entry.find("NUMBER=3") + 3, entry.size() - 1}) {
      INFO("cut after " << cut << " bytes of the entry");
      const auto parsed = parse_recording_index(before + entry.substr(0, cut));
      REQUIRE(parsed.ok());
      REQUIRE(parsed->segments.size() == 2);
      CHECK(parsed->segments[1].uri == "v_2.m4s");
    }
    std::string zeros = before + std::string(40, '\0');  // size grew, data never written
    const auto parsed = parse_recording_index(zeros);
    REQUIRE(parsed.ok());
    CHECK(parsed->segments.size() == 2);
  }
}

TEST_CASE("a damaged recording index is refused", "[packager]") {
  TrackInfo video;
  video.codec_string = "avc1.64001e";
  const std::string good =
      render_recording_index(video, std::vector<SegmentInfo>{segment(1, 0, 2000, 0, "init_v.mp4")});
  REQUIRE(parse_recording_index(good).ok());
  CHECK_FALSE(parse_recording_index("").ok());
  CHECK_FALSE(parse_recording_index("#EXTM3U\n#EXTINF:2.000,\nv_1.m4s\n").ok());  // no track
  std::string bad_segment = good;
  bad_segment.replace(bad_segment.find("START=0"), 7, "START=x");
  CHECK_FALSE(parse_recording_index(bad_segment).ok());
  std::string wrong_kind = good;
  wrong_kind.replace(wrong_kind.find("KIND=video"), 10, "KIND=audio");
  CHECK_FALSE(parse_recording_index(wrong_kind).ok());
}
