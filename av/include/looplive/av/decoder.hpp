#pragma once

#include <memory>

#include "looplive/core/media_types.hpp"
#include "looplive/core/result.hpp"

struct AVCodecContext;
struct AVPacket;

namespace looplive::av {

struct CodecContextDeleter {
  void operator()(AVCodecContext* context) const;
};
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;

// A libavcodec decoder for a track, configured from its codec configuration
// record (avcC, hvcC, av1C, AudioSpecificConfig) and timed in its timescale.
// `threads` above 1 decode slices in parallel, never whole frames: frame
// threads would hold pictures back by one frame per thread.
core::Result<CodecContextPtr> open_decoder(const core::TrackInfo& track, int threads);

// Hands one packet to a decoder (libavcodec wants padding after the bytes,
// so they are copied), through `scratch`; what avcodec_send_packet returns.
int send_packet(AVCodecContext* decoder, AVPacket* scratch, const core::MediaPacket& packet);

}  // namespace looplive::av
