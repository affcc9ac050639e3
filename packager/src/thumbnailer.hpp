#pragma once

#include <memory>

#include "looplive/av/decoder.hpp"
#include "looplive/av/ffmpeg_ptr.hpp"
#include "looplive/core/media_types.hpp"
#include "looplive/core/result.hpp"
#include "looplive/core/shared_bytes.hpp"

struct AVCodecContext;
struct SwsContext;

namespace looplive::packager {

// A live stream's preview still: a video keyframe decoded on its own and
// encoded as a JPEG no wider than asked. A keyframe needs nothing before it,
// so one per segment is all the work; it runs on the publisher's I/O thread.
class Thumbnailer {
 public:
  static core::Result<std::unique_ptr<Thumbnailer>> open(const core::TrackInfo& track,
                                                         int max_width);
  Thumbnailer(const Thumbnailer&) = delete;
  Thumbnailer& operator=(const Thumbnailer&) = delete;
  ~Thumbnailer();

  core::Result<core::SharedBytes> encode(const core::MediaPacket& keyframe);

 private:
  Thumbnailer() = default;
  core::Status decode(const core::MediaPacket& keyframe);
  core::Status scale();
  core::Result<core::SharedBytes> compress();

  int max_width_ = 320;
  av::CodecContextPtr decoder_;
  SwsContext* scaler_ = nullptr;
  AVFrame* decoded_ = nullptr;
  AVFrame* scaled_ = nullptr;
  av::AvPacketPtr packet_;
};

}  // namespace looplive::packager
