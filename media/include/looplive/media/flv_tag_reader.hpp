#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "looplive/core/media_types.hpp"
#include "looplive/core/result.hpp"

namespace looplive::media {

// Turns the payloads of RTMP audio (8) and video (9) messages, which are FLV
// tag bodies, into TrackInfo and MediaPacket: legacy H.264 (codec id 7) and
// AAC (sound format 10), and Enhanced RTMP video with FourCC hvc1, av01 and
// avc1. FLV carries one video and one audio track at most, with these ids.
class FlvTagReader {
 public:
  static constexpr uint8_t kVideoTrack = 0;
  static constexpr uint8_t kAudioTrack = 1;

  struct Output {
    std::optional<core::TrackInfo> track;     // a new or changed codec configuration
    std::optional<core::MediaPacket> packet;  // a coded frame
    // Non-empty when the tag carried nothing usable, and why (unsupported codec, end of stream...).
    std::string ignored;
  };

  // `timestamp_ms` is the message's timestamp, already unwrapped to 64 bits.
  // The payload is sliced, never copied.
  core::Result<Output> video(int64_t timestamp_ms, const core::SharedBytes& payload);
  core::Result<Output> audio(int64_t timestamp_ms, const core::SharedBytes& payload);
  // onMetaData from @setDataFrame: width, height and framerate hints for
  // codecs whose configuration does not carry them; 0 where absent.
  struct Hints {
    double width = 0;
    double height = 0;
    double frame_rate = 0;
  };
  void hints(const Hints& hints) { hints_ = hints; }

 private:
  core::Result<Output> legacy_video(int64_t timestamp_ms, const core::SharedBytes& payload);
  core::Result<Output> enhanced_video(int64_t timestamp_ms, const core::SharedBytes& payload);
  core::Result<Output> video_sequence_start(core::Codec codec, const core::SharedBytes& record);
  core::Result<Output> video_frame(core::Codec codec, int64_t timestamp_ms, int32_t composition_ms,
                                   bool keyframe, const core::SharedBytes& data);

  std::optional<core::TrackInfo> video_track_;
  uint8_t nal_length_size_ = 4;
  std::optional<core::TrackInfo> audio_track_;
  Hints hints_;
};

}  // namespace looplive::media
