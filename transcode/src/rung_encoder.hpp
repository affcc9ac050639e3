#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "looplive/av/decoder.hpp"
#include "looplive/av/ffmpeg_ptr.hpp"
#include "looplive/core/media_types.hpp"
#include "looplive/core/result.hpp"
#include "looplive/transcode/ladder_plan.hpp"

struct AVBufferRef;
struct AVFrame;
struct SwsContext;

namespace looplive::transcode {

// How a rung's H.264 encoder is set up, shared by the live ladder and files.
struct EncoderSettings {
  std::string encoder = "libx264";
  std::string preset = "veryfast";
  uint32_t threads = 1;
  // Live: each picture comes out as it goes in (no lookahead, no frame
  // threads). A file may let libx264 look ahead for better quality.
  bool low_latency = true;
};

// One rung of a ladder: scales decoded pictures to its size and encodes them
// to H.264 without B-frames, with keyframes only where the caller forces them.
class RungEncoder {
 public:
  // The encoder opens here, so the track's avcC is known before any packet.
  // Times are in `timescale` units.
  static core::Result<std::unique_ptr<RungEncoder>> open(const RungPlan& plan,
                                                         const EncoderSettings& settings,
                                                         uint32_t timescale, double frame_rate,
                                                         uint8_t track_id);
  RungEncoder(const RungEncoder&) = delete;
  RungEncoder& operator=(const RungEncoder&) = delete;
  ~RungEncoder();

  const core::TrackInfo& track() const { return track_; }
  const RungPlan& plan() const { return plan_; }

  // Scales and encodes one picture; appends the packets the encoder has ready.
  core::Status encode(const AVFrame& picture, bool keyframe, int64_t pts, int64_t dts,
                      std::vector<core::MediaPacket>& out);
  // The end: the pictures the encoder still holds (lookahead), encoded.
  core::Status flush(std::vector<core::MediaPacket>& out);

 private:
  RungEncoder() = default;
  core::Status receive(std::vector<core::MediaPacket>& out);

  RungPlan plan_;
  core::TrackInfo track_;
  av::CodecContextPtr encoder_;
  av::AvPacketPtr packet_;
  SwsContext* scaler_ = nullptr;
  AVFrame* picture_ = nullptr;
  // An encoder of pictures in GPU memory (VAAPI): its pool of surfaces,
  // which each scaled picture is uploaded to, and the surface sent.
  AVBufferRef* gpu_frames_ = nullptr;
  AVFrame* uploaded_ = nullptr;
  // Decode times given to the pictures sent, in order: the encoder returns
  // them without reordering.
  std::deque<int64_t> decode_times_;
};

}  // namespace looplive::transcode
