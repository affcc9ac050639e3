// Which rungs a source gets, and how a configured rung is written.
#include "looplive/transcode/ladder_plan.hpp"

#include <catch2/catch.hpp>
#include <vector>

using namespace looplive;
using core::Rung;
using transcode::plan_ladder;
using transcode::RungPlan;

namespace {

core::TrackInfo video(uint16_t width, uint16_t height, core::Codec codec = core::Codec::h264) {
  core::TrackInfo t;
  t.kind = core::MediaKind::video;
  t.codec = codec;
  t.width = width;
  t.height = height;
  return t;
}

}  // namespace

TEST_CASE("a 1080p source gets the usual rungs below it, widths keeping its aspect", "[ladder]") {
  const auto plan = plan_ladder(video(1920, 1080), {});
  const std::vector<RungPlan> expected{
      {1, 1280, 720, 2'800'000}, {2, 854, 480, 1'200'000}, {3, 640, 360, 600'000}};
  CHECK(plan == expected);
  // The bench's 720p30 source: 480p and 360p.
  const auto from_720 = plan_ladder(video(1280, 720), {});
  REQUIRE(from_720.size() == 2);
  CHECK(from_720[0].height == 480);
  CHECK(from_720[1].height == 360);
  // A portrait phone keeps its shape.
  const auto portrait = plan_ladder(video(720, 1280), {});
  REQUIRE_FALSE(portrait.empty());
  CHECK(portrait[0].height == 1080);
  CHECK(portrait[0].width == 608);
}

TEST_CASE("configured rungs are used as given, largest first, never upscaled", "[ladder]") {
  const std::vector<core::Rung> wanted{{360, 500'000}, {1080, 4'000'000}, {540, 1'500'000}};
  const auto plan = plan_ladder(video(960, 540), wanted);
  const std::vector<RungPlan> expected{{1, 960, 540, 1'500'000}, {2, 640, 360, 500'000}};
  CHECK(plan == expected);
}

TEST_CASE("an HEVC or AV1 source always gets an H.264 rung", "[ladder]") {
  const auto small_hevc = plan_ladder(video(640, 360, core::Codec::hevc), {});
  const std::vector<RungPlan> expected{{1, 640, 360, 600'000}};
  CHECK(small_hevc == expected);
  CHECK(plan_ladder(video(640, 360, core::Codec::h264), {}).empty());
  const auto av1_4k = plan_ladder(video(3840, 2160, core::Codec::av1), {});
  REQUIRE(av1_4k.size() == 4);
  CHECK(av1_4k[0].height == 1080);
}

TEST_CASE("a source of unknown size gets no ladder", "[ladder]") {
  CHECK(plan_ladder(video(0, 0), {}).empty());
}

TEST_CASE("rungs in the configuration read as HEIGHTp@KBITSk", "[ladder]") {
  auto rung = core::parse_rung("480p@1200k");
  REQUIRE(rung);
  CHECK(*rung == core::Rung{480, 1'200'000});
  for (const char* wrong :
       {"480p", "480@1200k", "480p@1.2M", "481p@1200k", "480p@50k", "p@k", "480p@1200k "}) {
    INFO(wrong);
    CHECK_FALSE(core::parse_rung(wrong));
  }
}

TEST_CASE("the compatible ladder gives only a source browsers cannot play an H.264 rung",
          "[ladder]") {
  using transcode::plan_compatible_rung;
  const std::vector<RungPlan> hevc{{1, 640, 360, 600'000}};
  CHECK(plan_compatible_rung(video(640, 360, core::Codec::hevc)) == hevc);
  const std::vector<RungPlan> av1_4k{{1, 1920, 1080, 5'000'000}};
  CHECK(plan_compatible_rung(video(3840, 2160, core::Codec::av1)) == av1_4k);
  CHECK(plan_compatible_rung(video(1920, 1080, core::Codec::h264)).empty());
  CHECK(plan_compatible_rung(video(0, 0, core::Codec::hevc)).empty());
}

TEST_CASE("ladder modes read and write as off, auto and compatible", "[ladder]") {
  for (const char* mode : {"off", "auto", "compatible"}) {
    INFO(mode);
    const auto choice = core::parse_ladder_mode(mode);
    REQUIRE(choice);
    CHECK(core::ladder_mode_text(*choice) == std::string_view(mode));
  }
  CHECK(core::parse_ladder_mode("compatible")->enabled);
  CHECK(core::parse_ladder_mode("compatible")->compatible_only);
  CHECK_FALSE(core::parse_ladder_mode("auto")->compatible_only);
  CHECK_FALSE(core::parse_ladder_mode("off")->enabled);
  CHECK_FALSE(core::parse_ladder_mode("on"));
  CHECK_FALSE(core::parse_ladder_mode("Auto"));
  CHECK_FALSE(core::ladder_mode_text({.enabled = true, .rungs = {{480, 1'200'000}}}));
}
