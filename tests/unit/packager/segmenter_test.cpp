#include "segmenter.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "looplive/core/media_types.hpp"

using looplive::core::MediaKind;
using looplive::packager::Placement;
using looplive::packager::Segmenter;
using looplive::packager::SegmenterConfig;

namespace {

// The track ids of SegmenterConfig's default tracks.
constexpr uint8_t kVideoTrack = 0;
constexpr uint8_t kAudioTrack = 1;

SegmenterConfig video_only() {
  SegmenterConfig config;
  config.tracks = {{kVideoTrack, MediaKind::video}};
  return config;
}

SegmenterConfig audio_only() {
  SegmenterConfig config;
  config.tracks = {{kAudioTrack, MediaKind::audio}};
  return config;
}

int64_t video_dts(int frame) {
  return frame * 1000 / 30;
}
int64_t audio_dts(int frame) {
  return int64_t{frame} * 1024 * 1000 / 48000;
}

struct Cuts {
  std::vector<int64_t> starts;
  std::vector<bool> discontinuities;
  void record(const Placement& p) {
    if (!p.new_segment) return;
    starts.push_back(p.dts);
    discontinuities.push_back(p.discontinuity);
  }
};

// 30 fps video with a keyframe every `gop` frames.
Cuts run_video(Segmenter& segmenter, int frames, int gop) {
  Cuts cuts;
  for (int i = 0; i < frames; ++i) {
    cuts.record(segmenter.place(kVideoTrack, video_dts(i), video_dts(i), i % gop == 0));
  }
  return cuts;
}

}  // namespace

TEST_CASE("keyframes every 2 s cut every 2 s", "[packager]") {
  Segmenter segmenter(video_only());
  const Cuts cuts = run_video(segmenter, 300, 60);
  CHECK(cuts.starts == std::vector<int64_t>{0, 2000, 4000, 6000, 8000});
  CHECK(segmenter.counts().dropped == 0);
}

TEST_CASE("keyframes every 3 s with a 2 s target give 3 s segments", "[packager]") {
  Segmenter segmenter(video_only());
  const Cuts cuts = run_video(segmenter, 300, 90);
  CHECK(cuts.starts == std::vector<int64_t>{0, 3000, 6000, 9000});
}

TEST_CASE("a keyframe interval past the cap is cut between keyframes, and keyframes cut again",
          "[packager]") {
  SegmenterConfig config = video_only();
  config.max_segment_ms = 2400;
  Segmenter segmenter(config);
  std::vector<int64_t> starts;
  std::vector<bool> independent;
  for (int i = 0; i < 300; ++i) {
    const Placement p = segmenter.place(kVideoTrack, video_dts(i), video_dts(i), i % 90 == 0);
    if (!p.new_segment) continue;
    starts.push_back(p.dts);
    independent.push_back(p.independent);
    CHECK(p.new_fragment);
  }
  CHECK(starts == std::vector<int64_t>{0, 2400, 3000, 5400, 6000, 8400, 9000});
  CHECK(independent == std::vector<bool>{true, false, true, false, true, false, true});
  for (size_t i = 1; i < starts.size(); ++i) CHECK(starts[i] - starts[i - 1] <= 2400);
}

TEST_CASE("audio follows a cut between keyframes", "[packager]") {
  SegmenterConfig config;
  config.max_segment_ms = 2400;
  Segmenter segmenter(config);
  Cuts video;
  Cuts audio;
  int v = 0;
  int a = 0;
  while (v < 200) {
    const int64_t vd = video_dts(v);
    const int64_t ad = audio_dts(a);
    if (ad < vd) {
      audio.record(segmenter.place(kAudioTrack, ad, ad, true));
      ++a;
    } else {
      video.record(segmenter.place(kVideoTrack, vd, vd, v % 150 == 0));
      ++v;
    }
  }
  REQUIRE(video.starts == std::vector<int64_t>{0, 2400, 4800, 5000});
  REQUIRE(audio.starts.size() == video.starts.size());
  for (size_t i = 0; i < video.starts.size(); ++i) {
    CHECK(audio.starts[i] >= video.starts[i]);
    CHECK(audio.starts[i] < video.starts[i] + 22);
  }
}

TEST_CASE("keyframes every 1 s cut at the target", "[packager]") {
  Segmenter segmenter(video_only());
  const Cuts cuts = run_video(segmenter, 300, 30);
  CHECK(cuts.starts == std::vector<int64_t>{0, 2000, 4000, 6000, 8000});
}

TEST_CASE("video before the first keyframe is dropped", "[packager]") {
  Segmenter segmenter(video_only());
  CHECK(segmenter.place(kVideoTrack, 0, 0, false).drop);
  CHECK(segmenter.place(kVideoTrack, 33, 33, false).drop);
  const Placement first = segmenter.place(kVideoTrack, 66, 66, true);
  CHECK_FALSE(first.drop);
  CHECK(first.new_segment);
  CHECK_FALSE(first.discontinuity);
  CHECK(segmenter.counts().dropped == 2);
}

TEST_CASE("fragments every part duration inside a segment", "[packager]") {
  SegmenterConfig config = video_only();
  config.part_ms = 500;
  Segmenter segmenter(config);
  int fragments = 0;
  int segments = 0;
  for (int i = 0; i < 120; ++i) {
    const Placement p = segmenter.place(kVideoTrack, video_dts(i), video_dts(i), i % 60 == 0);
    fragments += p.new_fragment ? 1 : 0;
    segments += p.new_segment ? 1 : 0;
  }
  CHECK(segments == 2);
  CHECK(fragments == 8);  // 0, 500, 1000, 1500 in each 2 s segment
}

TEST_CASE("a gap below the jump threshold keeps the timeline", "[packager]") {
  Segmenter segmenter(video_only());
  Cuts cuts;
  for (int i = 0; i < 75; ++i)
    cuts.record(segmenter.place(kVideoTrack, video_dts(i), 0, i % 30 == 0));
  // Nothing between 2.5 s and 4 s, then keyframes every second again.
  for (int i = 120; i < 240; ++i) {
    cuts.record(segmenter.place(kVideoTrack, video_dts(i), video_dts(i), i % 30 == 0));
  }
  CHECK(cuts.starts == std::vector<int64_t>{0, 2000, 4000, 6000});
  CHECK(cuts.discontinuities == std::vector<bool>{false, false, false, false});
  CHECK(segmenter.counts().jumps == 0);
}

TEST_CASE("non-monotonic DTS is bumped and counted, keeping the composition offset", "[packager]") {
  Segmenter segmenter(video_only());
  std::vector<int64_t> out;
  std::vector<int64_t> offsets;
  const int64_t in[] = {0, 33, 33, 30, 100};
  for (int64_t dts : in) {
    const Placement p = segmenter.place(kVideoTrack, dts, dts + 66, dts == 0);
    out.push_back(p.dts);
    offsets.push_back(p.pts - p.dts);
  }
  CHECK(out == std::vector<int64_t>{0, 33, 34, 35, 100});
  CHECK(offsets == std::vector<int64_t>{66, 66, 66, 66, 66});
  CHECK(segmenter.counts().non_monotonic == 2);
}

TEST_CASE("negative composition offsets are raised to the DTS and counted", "[packager]") {
  Segmenter segmenter(video_only());
  const Placement p = segmenter.place(kVideoTrack, 100, 60, true);
  CHECK(p.pts == 100);
  CHECK(p.dts == 100);
  const Placement q = segmenter.place(kVideoTrack, 133, 200, false);
  CHECK(q.pts == 200);
  CHECK(segmenter.counts().negative_composition == 1);
}

TEST_CASE("a backward jump is rebased and flags a discontinuity", "[packager]") {
  Segmenter segmenter(video_only());
  Cuts cuts = run_video(segmenter, 450, 30);  // up to 14966 ms
  // The encoder restarts its clock at 0.
  std::vector<int64_t> out;
  for (int i = 0; i < 90; ++i) {
    const Placement p = segmenter.place(kVideoTrack, video_dts(i), video_dts(i), i % 30 == 0);
    cuts.record(p);
    out.push_back(p.dts);
  }
  CHECK(segmenter.counts().jumps == 1);
  CHECK(segmenter.counts().non_monotonic == 0);
  CHECK(out.front() == 14966 + 33);  // one frame step after the last sample
  REQUIRE(cuts.starts.size() == 10);
  CHECK(cuts.starts[7] == 14000);
  CHECK(cuts.starts[8] == 14999);  // early: the break forces a cut on the next keyframe
  CHECK(cuts.starts[9] == 16999);
  CHECK(cuts.discontinuities[7] == false);
  CHECK(cuts.discontinuities[8] == true);
  CHECK(cuts.discontinuities[9] == false);
}

TEST_CASE("a backward step below the jump threshold is bumped, not rebased", "[packager]") {
  Segmenter segmenter(video_only());
  run_video(segmenter, 150, 30);  // up to 4966 ms
  const Placement p = segmenter.place(kVideoTrack, 0, 0, true);
  CHECK(p.dts == 4967);
  CHECK_FALSE(p.discontinuity);
  CHECK(segmenter.counts().jumps == 0);
  CHECK(segmenter.counts().non_monotonic == 1);
}

TEST_CASE("a forward jump is rebased and flags a discontinuity", "[packager]") {
  Segmenter segmenter(video_only());
  Cuts cuts = run_video(segmenter, 45, 30);  // 0..1466 ms
  const Placement after = segmenter.place(kVideoTrack, 60'000, 60'000, false);
  CHECK(after.dts == 1466 + 33);
  CHECK_FALSE(after.new_segment);  // a segment must start on a keyframe
  const Placement key = segmenter.place(kVideoTrack, 60'033, 60'033, true);
  CHECK(key.new_segment);  // early: the break forces the next keyframe to cut
  CHECK(key.discontinuity);
  CHECK(segmenter.counts().jumps == 1);
}

TEST_CASE("audio-only streams cut on time", "[packager]") {
  Segmenter segmenter(audio_only());
  std::vector<int64_t> starts;
  for (int i = 0; i < 470; ++i) {  // about 10 s
    const Placement p = segmenter.place(kAudioTrack, audio_dts(i), audio_dts(i), true);
    CHECK_FALSE(p.drop);
    if (p.new_segment) starts.push_back(p.dts);
  }
  REQUIRE(starts.size() == 5);
  for (size_t i = 1; i < starts.size(); ++i) {
    const int64_t duration = starts[i] - starts[i - 1];
    CHECK(duration >= 2000);
    CHECK(duration < 2022);
  }
}

TEST_CASE("audio segments follow the video cut times", "[packager]") {
  Segmenter segmenter(SegmenterConfig{});
  Cuts video;
  Cuts audio;
  // Audio starts 100 ms before the first keyframe; interleave by DTS.
  int v = 0;
  int a = 0;
  while (v < 300) {
    const int64_t vd = video_dts(v) + 100;
    const int64_t ad = audio_dts(a);
    if (ad < vd) {
      const Placement p = segmenter.place(kAudioTrack, ad, ad, true);
      CHECK(p.drop == (ad < 100));
      audio.record(p);
      ++a;
    } else {
      video.record(segmenter.place(kVideoTrack, vd, vd, v % 60 == 0));
      ++v;
    }
  }
  REQUIRE(video.starts == std::vector<int64_t>{100, 2100, 4100, 6100, 8100});
  REQUIRE(audio.starts.size() == video.starts.size());
  for (size_t i = 0; i < video.starts.size(); ++i) {
    CHECK(audio.starts[i] >= video.starts[i]);
    CHECK(audio.starts[i] < video.starts[i] + 22);
  }
}

TEST_CASE("restarting video waits for a keyframe and flags both tracks once", "[packager]") {
  Segmenter segmenter(SegmenterConfig{});
  Cuts video;
  Cuts audio;
  auto feed_until = [&](int64_t end, int& v, int& a, int gop) {
    while (video_dts(v) < end) {
      if (audio_dts(a) < video_dts(v)) {
        audio.record(segmenter.place(kAudioTrack, audio_dts(a), audio_dts(a), true));
        ++a;
      } else {
        video.record(segmenter.place(kVideoTrack, video_dts(v), video_dts(v), v % gop == 0));
        ++v;
      }
    }
  };
  int v = 0;
  int a = 0;
  feed_until(3000, v, a, 60);
  segmenter.restart(kVideoTrack);
  const Placement inter = segmenter.place(kVideoTrack, video_dts(v), video_dts(v), false);
  CHECK(inter.drop);
  ++v;
  feed_until(7000, v, a, 15);  // the new configuration has 500 ms GOPs
  CHECK(video.starts == std::vector<int64_t>{0, 2000, 3500, 5500});
  CHECK(video.discontinuities == std::vector<bool>{false, false, true, false});
  REQUIRE(audio.discontinuities.size() == 4);
  CHECK(audio.discontinuities == std::vector<bool>{false, false, true, false});
}

TEST_CASE("a break seen on both tracks is rebased once and keeps them aligned", "[packager]") {
  Segmenter segmenter(SegmenterConfig{});
  int v = 0;
  int a = 0;
  int64_t shift = 0;
  int64_t first_video_after = -1;
  int64_t first_audio_after = -1;
  while (v < 300) {
    if (v == 150 && shift == 0) shift = 60'000;  // both clocks leap a minute ahead
    const int64_t vd = video_dts(v) + (v >= 150 ? shift : 0);
    const int64_t ad = audio_dts(a) + (audio_dts(a) >= video_dts(150) ? shift : 0);
    if (ad < vd) {
      const Placement p = segmenter.place(kAudioTrack, ad, ad, true);
      if (ad >= shift && shift != 0 && first_audio_after < 0) first_audio_after = p.dts;
      ++a;
    } else {
      const Placement p = segmenter.place(kVideoTrack, vd, vd, v % 60 == 0);
      if (v == 150) first_video_after = p.dts;
      ++v;
    }
  }
  CHECK(segmenter.counts().jumps == 1);
  CHECK(segmenter.counts().non_monotonic == 0);
  CHECK(first_video_after == 4966 + 33);
  CHECK(first_audio_after >= first_video_after - 34);
  CHECK(first_audio_after <= first_video_after + 34);
}

TEST_CASE("a continued timeline places the first packet where it was asked to", "[packager]") {
  SegmenterConfig config;
  config.start_at_ms = 30'000;
  Segmenter segmenter(config);
  // Audio first, then video: both move by the first packet's offset, keeping their alignment.
  const Placement audio = segmenter.place(kAudioTrack, 10, 10, true);
  CHECK(audio.dts == 30'000);
  CHECK(audio.drop);  // audio before the first video keyframe
  // Video 10 ms earlier than that would overlap the stream's earlier timeline: it is raised.
  const Placement video = segmenter.place(kVideoTrack, 0, 67, true);
  CHECK(video.dts == 30'000);
  CHECK(video.pts == 30'067);
  CHECK(video.new_segment);
  CHECK_FALSE(video.discontinuity);
  CHECK(segmenter.place(kVideoTrack, 33, 100, false).dts == 30'023);
  CHECK(segmenter.place(kAudioTrack, 31, 31, true).dts == 30'021);
  CHECK(segmenter.counts().non_monotonic == 1);
  CHECK(segmenter.counts().jumps == 0);
}

TEST_CASE("a second video rendition with the lead's keyframes cuts on the same frames",
          "[packager]") {
  constexpr uint8_t kRungTrack = 2;
  SegmenterConfig config;
  config.tracks = {{kVideoTrack, MediaKind::video},
                   {kRungTrack, MediaKind::video},
                   {kAudioTrack, MediaKind::audio}};
  Segmenter segmenter(config);
  Cuts lead;
  Cuts rung;
  std::vector<bool> rung_independent;
  // The rung's encoder starts two frames late, on an inter frame it must not open with.
  for (int v = 0; v < 300; ++v) {
    const bool keyframe = v % 60 == 0;
    lead.record(segmenter.place(kVideoTrack, video_dts(v), video_dts(v), keyframe));
    if (v < 2) continue;
    const Placement p = segmenter.place(kRungTrack, video_dts(v), video_dts(v), keyframe);
    CHECK(p.drop == (v < 60));
    rung.record(p);
    if (p.new_segment) rung_independent.push_back(p.independent);
  }
  CHECK(lead.starts == std::vector<int64_t>{0, 2000, 4000, 6000, 8000});
  CHECK(rung.starts == std::vector<int64_t>{2000, 4000, 6000, 8000});
  CHECK(rung_independent == std::vector<bool>{true, true, true, true});
  // Packets of a track the segmenter was not given are dropped.
  CHECK(segmenter.place(7, 10'000, 10'000, true).drop);
}

TEST_CASE("a follower that stays silent holds a bounded queue and still cuts on return",
          "[packager]") {
  Segmenter segmenter(SegmenterConfig{});
  // Ten minutes of video with a keyframe every 2 s while the audio track says nothing.
  for (int v = 0; v < 30 * 600; ++v)
    segmenter.place(kVideoTrack, video_dts(v), video_dts(v), v % 60 == 0);
  // Audio comes back: its first packet opens a segment, the next cut comes with the video's.
  const int64_t back = video_dts(30 * 600);
  CHECK(segmenter.place(kAudioTrack, back, back, true).new_segment);
  CHECK_FALSE(segmenter.place(kAudioTrack, back + 21, back + 21, true).new_segment);
  segmenter.place(kVideoTrack, back + 2000, back + 2000, true);
  CHECK(segmenter.place(kAudioTrack, back + 2005, back + 2005, true).new_segment);
}
