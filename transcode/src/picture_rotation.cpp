#include "picture_rotation.hpp"

#include <cmath>
#include <cstring>

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

namespace looplive::transcode {
namespace {

// One plane of a picture: `width` x `height` elements of `step` bytes.
struct Plane {
  const uint8_t* data;
  int linesize;
  int width, height;
  int step;
};

// Element (x, y) of the source goes to the destination's (x', y'); the
// destination is `height` x `width` for a quarter turn.
template <int kStep>
void turn_plane(const Plane& from, uint8_t* to, int to_linesize, int degrees, int step) {
  const int size = kStep > 0 ? kStep : step;
  for (int y = 0; y < from.height; ++y) {
    const uint8_t* row = from.data + static_cast<ptrdiff_t>(y) * from.linesize;
    for (int x = 0; x < from.width; ++x) {
      int tx = x, ty = y;
      if (degrees == 90) {
        tx = from.height - 1 - y;
        ty = x;
      } else if (degrees == 180) {
        tx = from.width - 1 - x;
        ty = from.height - 1 - y;
      } else {  // 270
        tx = y;
        ty = from.width - 1 - x;
      }
      std::memcpy(to + static_cast<ptrdiff_t>(ty) * to_linesize + tx * size, row + x * size,
                  static_cast<size_t>(size));
    }
  }
}

// Bytes per element of each plane, or false when a plane mixes element sizes
// (packed 4:2:2) or the format is not a plain array of samples.
bool plane_steps(const AVPixFmtDescriptor& format, int degrees, int (&steps)[4]) {
  constexpr uint64_t kUnsupported =
      AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_HWACCEL;
  if ((format.flags & kUnsupported) != 0) return false;
  // A quarter turn swaps the chroma's horizontal and vertical subsampling.
  if (degrees != 180 && format.log2_chroma_w != format.log2_chroma_h) return false;
  for (int& step : steps) step = 0;
  for (int c = 0; c < format.nb_components; ++c) {
    const AVComponentDescriptor& component = format.comp[c];
    if (component.step <= 0) return false;
    int& step = steps[component.plane];
    if (step != 0 && step != component.step) return false;
    step = component.step;
  }
  return true;
}

}  // namespace

int display_rotation(const AVStream& stream) {
  size_t size = 0;
  const uint8_t* matrix = av_stream_get_side_data(&stream, AV_PKT_DATA_DISPLAYMATRIX, &size);
  if (matrix == nullptr || size < 9 * sizeof(int32_t)) return 0;
  // av_display_rotation_get is counter-clockwise; the turn to make is the other way.
  const double angle = av_display_rotation_get(reinterpret_cast<const int32_t*>(matrix));
  if (std::isnan(angle)) return 0;
  const long clockwise = ((-std::lround(angle)) % 360 + 360) % 360;
  for (int quarter : {0, 90, 180, 270, 360})
    if (std::abs(clockwise - quarter) <= 1) return quarter % 360;
  return 0;
}

PictureRotation::~PictureRotation() {
  sws_freeContext(converter_);
}

core::Result<const AVFrame*> PictureRotation::to_planar(const AVFrame& picture) {
  if (!planar_ || planar_->width != picture.width || planar_->height != picture.height) {
    planar_.reset(av_frame_alloc());
    if (!planar_) return core::Error{"out of memory"};
    planar_->format = AV_PIX_FMT_YUV420P;
    planar_->width = picture.width;
    planar_->height = picture.height;
    if (int rc = av_frame_get_buffer(planar_.get(), 0); rc < 0)
      return av::av_error("picture buffer", rc);
  }
  converter_ = sws_getCachedContext(
      converter_, picture.width, picture.height, static_cast<AVPixelFormat>(picture.format),
      picture.width, picture.height, AV_PIX_FMT_YUV420P, SWS_BICUBIC, nullptr, nullptr, nullptr);
  if (converter_ == nullptr) return core::Error{"no scaler for the video's pictures"};
  sws_scale(converter_, picture.data, picture.linesize, 0, picture.height, planar_->data,
            planar_->linesize);
  av_frame_copy_props(planar_.get(), &picture);
  return planar_.get();
}

core::Result<const AVFrame*> PictureRotation::apply(const AVFrame& picture) {
  if (degrees_ == 0) return &picture;
  const AVFrame* from = &picture;
  const AVPixFmtDescriptor* format =
      av_pix_fmt_desc_get(static_cast<AVPixelFormat>(picture.format));
  int steps[4];
  if (format == nullptr || !plane_steps(*format, degrees_, steps)) {
    auto planar = to_planar(picture);
    if (!planar) return planar.error();
    from = planar.value();
    format = av_pix_fmt_desc_get(AV_PIX_FMT_YUV420P);
    plane_steps(*format, degrees_, steps);
  }
  const bool quarter = degrees_ != 180;
  const int width = quarter ? from->height : from->width;
  const int height = quarter ? from->width : from->height;
  if (!turned_ || turned_->width != width || turned_->height != height ||
      turned_->format != from->format) {
    turned_.reset(av_frame_alloc());
    if (!turned_) return core::Error{"out of memory"};
    turned_->format = from->format;
    turned_->width = width;
    turned_->height = height;
    if (int rc = av_frame_get_buffer(turned_.get(), 0); rc < 0)
      return av::av_error("picture buffer", rc);
  }
  const bool rgb = (format->flags & AV_PIX_FMT_FLAG_RGB) != 0;
  for (int p = 0; p < 4 && steps[p] > 0; ++p) {
    // Planes 1 and 2 of YUV hold the subsampled chroma; alpha is full size.
    const bool chroma = !rgb && (p == 1 || p == 2);
    Plane plane{from->data[p], from->linesize[p],
                chroma ? AV_CEIL_RSHIFT(from->width, format->log2_chroma_w) : from->width,
                chroma ? AV_CEIL_RSHIFT(from->height, format->log2_chroma_h) : from->height,
                steps[p]};
    uint8_t* to = turned_->data[p];
    const int to_linesize = turned_->linesize[p];
    switch (steps[p]) {
      case 1:
        turn_plane<1>(plane, to, to_linesize, degrees_, 1);
        break;
      case 2:
        turn_plane<2>(plane, to, to_linesize, degrees_, 2);
        break;
      default:
        turn_plane<0>(plane, to, to_linesize, degrees_, steps[p]);
    }
  }
  av_frame_copy_props(turned_.get(), from);
  // The turned picture's pixels are as wide as the source's were tall.
  if (quarter && from->sample_aspect_ratio.num > 0)
    turned_->sample_aspect_ratio =
        AVRational{from->sample_aspect_ratio.den, from->sample_aspect_ratio.num};
  return turned_.get();
}

}  // namespace looplive::transcode
