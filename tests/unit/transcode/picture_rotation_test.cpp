#include <catch2/catch.hpp>

#include <vector>

extern "C" {
#include <libavutil/frame.h>
#include <libavutil/pixfmt.h>
}

#include "looplive/av/ffmpeg_ptr.hpp"
#include "picture_rotation.hpp"

using looplive::transcode::PictureRotation;
namespace av = looplive::av;

namespace {

// A 4x2 picture of `format` whose every sample is numbered (row * 16 + column
// + 100 * plane), so where each one lands can be read back.
av::AvFramePtr numbered(AVPixelFormat format) {
  av::AvFramePtr frame(av_frame_alloc());
  frame->format = format;
  frame->width = 4;
  frame->height = 2;
  REQUIRE(av_frame_get_buffer(frame.get(), 0) == 0);
  const int planes = format == AV_PIX_FMT_NV12 ? 2 : 3;
  for (int p = 0; p < planes; ++p) {
    const int bytes_wide = p == 0 || format == AV_PIX_FMT_NV12 ? 4 : 2;
    const int high = p == 0 ? 2 : 1;
    for (int y = 0; y < high; ++y)
      for (int x = 0; x < bytes_wide; ++x)
        frame->data[p][y * frame->linesize[p] + x] = static_cast<uint8_t>(y * 16 + x + 100 * p);
  }
  return frame;
}

std::vector<std::vector<int>> luma(const AVFrame& frame) {
  std::vector<std::vector<int>> rows(static_cast<size_t>(frame.height));
  for (int y = 0; y < frame.height; ++y)
    for (int x = 0; x < frame.width; ++x)
      rows[static_cast<size_t>(y)].push_back(frame.data[0][y * frame.linesize[0] + x]);
  return rows;
}

}  // namespace

TEST_CASE("pictures are turned clockwise by quarter turns", "[transcode][rotation]") {
  const auto picture = numbered(AV_PIX_FMT_YUV420P);
  // Stored:  0  1  2  3
  //         16 17 18 19
  SECTION("90") {
    PictureRotation rotation(90);
    auto turned = rotation.apply(*picture);
    REQUIRE(turned);
    CHECK(turned.value()->width == 2);
    CHECK(turned.value()->height == 4);
    CHECK(luma(*turned.value()) ==
          std::vector<std::vector<int>>{{16, 0}, {17, 1}, {18, 2}, {19, 3}});
    // Chroma (2x1) becomes 1x2, turned the same way.
    CHECK(turned.value()->data[1][0] == 100);
    CHECK(turned.value()->data[1][turned.value()->linesize[1]] == 101);
  }
  SECTION("180") {
    PictureRotation rotation(180);
    auto turned = rotation.apply(*picture);
    REQUIRE(turned);
    CHECK(luma(*turned.value()) == std::vector<std::vector<int>>{{19, 18, 17, 16}, {3, 2, 1, 0}});
    CHECK(turned.value()->data[2][0] == 201);
  }
  SECTION("270") {
    PictureRotation rotation(270);
    auto turned = rotation.apply(*picture);
    REQUIRE(turned);
    CHECK(luma(*turned.value()) ==
          std::vector<std::vector<int>>{{3, 19}, {2, 18}, {1, 17}, {0, 16}});
  }
  SECTION("0 hands the picture back") {
    PictureRotation rotation(0);
    auto same = rotation.apply(*picture);
    REQUIRE(same);
    CHECK(same.value() == picture.get());
  }
}

TEST_CASE("interleaved chroma is turned in pairs", "[transcode][rotation]") {
  const auto picture = numbered(AV_PIX_FMT_NV12);
  PictureRotation rotation(90);
  auto turned = rotation.apply(*picture);
  REQUIRE(turned);
  CHECK(turned.value()->format == AV_PIX_FMT_NV12);
  // The U,V pairs (100,101) and (102,103) stay pairs, one above the other.
  const AVFrame& out = *turned.value();
  CHECK(out.data[1][0] == 100);
  CHECK(out.data[1][1] == 101);
  CHECK(out.data[1][out.linesize[1]] == 102);
  CHECK(out.data[1][out.linesize[1] + 1] == 103);
}

TEST_CASE("a layout that cannot be turned as it is goes through planar 4:2:0",
          "[transcode][rotation]") {
  av::AvFramePtr packed(av_frame_alloc());
  packed->format = AV_PIX_FMT_YUYV422;
  packed->width = 64;
  packed->height = 32;
  REQUIRE(av_frame_get_buffer(packed.get(), 0) == 0);
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 128; ++x) packed->data[0][y * packed->linesize[0] + x] = 128;
  PictureRotation rotation(90);
  auto turned = rotation.apply(*packed);
  REQUIRE(turned);
  CHECK(turned.value()->format == AV_PIX_FMT_YUV420P);
  CHECK(turned.value()->width == 32);
  CHECK(turned.value()->height == 64);
}
