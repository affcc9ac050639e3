#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "amf0.hpp"
#include "looplive/core/media_types.hpp"
#include "looplive/core/result.hpp"

namespace looplive::ingest {

// Turns the payloads of RTMP audio (8) and video (9) messages, which are FLV
// tag bodies, into TrackInfo and MediaPacket: legacy H.264 (codec id 7) and
// AAC (sound format 10), and Enhanced RTMP video with FourCC hvc1, av01 and
// avc1. Video is track core::kVideoTrack, audio core::kAudioTrack.
class FlvDemuxer {
 public:
  struct Output {
    std::optional<core::TrackInfo> track;    // a new or changed codec configuration
    std::optional<core::MediaPacket> packet; // a coded frame
    std::string ignored;  // non-empty when the tag carried nothing usable and why (unsupported codec, end of sequence...)
  };

  // `timestamp_ms` is the message's timestamp, already unwrapped to 64 bits.
  // The payload is sliced, never copied.
  core::Result<Output> video(int64_t timestamp_ms, const core::SharedBytes& payload);
  core::Result<Output> audio(int64_t timestamp_ms, const core::SharedBytes& payload);
  // onMetaData from @setDataFrame: width, height and framerate hints for
  // codecs whose configuration does not carry them.
  void metadata(const amf0::Value& values);

 private:
  std::optional<core::TrackInfo> video_track_;
  std::optional<core::TrackInfo> audio_track_;
  double meta_width_ = 0;
  double meta_height_ = 0;
  double meta_frame_rate_ = 0;
};

}  // namespace looplive::ingest
