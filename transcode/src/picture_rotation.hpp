#pragma once

#include "looplive/av/ffmpeg_ptr.hpp"
#include "looplive/core/result.hpp"

struct AVFrame;
struct AVStream;
struct SwsContext;

namespace looplive::transcode {

// How many degrees clockwise a stream's pictures are turned to be shown
// upright (its display matrix, as phones write it): 0, 90, 180 or 270, the
// same turn ffmpeg's autorotate and players make. Mirroring and angles that
// are not quarter turns are ignored (0).
int display_rotation(const AVStream& stream);

// Turns decoded pictures clockwise by a quarter-turn multiple, for the rungs
// and the poster. Pictures whose layout cannot be turned as they are (packed
// 4:2:2, bitstream formats, chroma subsampled unlike across) are converted to
// planar 4:2:0 first. One object per stream: the buffers are reused.
class PictureRotation {
 public:
  explicit PictureRotation(int degrees) : degrees_(degrees) {}
  ~PictureRotation();
  PictureRotation(const PictureRotation&) = delete;
  PictureRotation& operator=(const PictureRotation&) = delete;

  int degrees() const { return degrees_; }
  // `picture` turned, valid until the next call; `picture` itself when the
  // turn is 0.
  core::Result<const AVFrame*> apply(const AVFrame& picture);

 private:
  core::Result<const AVFrame*> to_planar(const AVFrame& picture);

  int degrees_;
  av::AvFramePtr turned_;
  av::AvFramePtr planar_;
  SwsContext* converter_ = nullptr;
};

}  // namespace looplive::transcode
