#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "looplive/core/shared_bytes.hpp"

namespace looplive::core {

enum class MediaKind : uint8_t { video, audio };
enum class Codec : uint8_t { h264, hevc, av1, aac, opus };

std::string_view codec_name(Codec codec);  // "h264", "hevc", "av1", "aac", "opus"
MediaKind codec_kind(Codec codec);

// Which track of a stream this is, across its publishes: its kind and its
// rendition. Rendition 0 is what the publisher sent; a ladder adds more.
// Ordered video first, then by rendition, as manifests list them.
struct TrackKey {
  MediaKind kind = MediaKind::video;
  uint8_t rendition = 0;
  auto operator<=>(const TrackKey&) const = default;
};

// What a packager needs to know about one elementary stream. Announced again
// when the encoder sends a new codec configuration mid-stream.
struct TrackInfo {
  // Names the track's packets (MediaPacket::track) within one publish; the
  // source chooses it and the stream knows the track by key() instead.
  uint8_t id = 0;
  MediaKind kind = MediaKind::video;
  uint8_t rendition = 0;
  Codec codec = Codec::h264;
  uint32_t timescale = 1000;  // RTMP timestamps are milliseconds
  // avcC / hvcC / av1C for video, AudioSpecificConfig for AAC.
  SharedBytes codec_config;
  // RFC 6381 codec string for HLS CODECS and DASH @codecs, e.g. "avc1.64001f", "mp4a.40.2".
  std::string codec_string;
  uint16_t width = 0;
  uint16_t height = 0;
  double frame_rate = 0;  // 0 when neither the bitstream nor the metadata says
  uint32_t sample_rate = 0;
  uint8_t channels = 0;

  TrackKey key() const { return {kind, rendition}; }
};

// One access unit. Video payloads are length-prefixed NAL units (AVCC/HVCC
// form) or AV1 OBUs in low-overhead form; audio payloads are raw frames.
struct MediaPacket {
  uint8_t track = 0;  // TrackInfo::id
  int64_t dts = 0;    // in the track timescale
  int64_t pts = 0;    // in the track timescale; pts - dts is the composition offset
  bool keyframe = false;
  SharedBytes payload;
};

}  // namespace looplive::core
