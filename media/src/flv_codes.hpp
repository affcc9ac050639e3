#pragma once

#include <cstdint>

// Numbers of the FLV tag format (Adobe FLV spec v10, E.4) and Enhanced RTMP,
// shared by the tag reader and the file reader.
namespace looplive::media::flv_codes {

constexpr int kKeyFrame = 1;
constexpr int kCommandFrame = 5;
constexpr int kCodecAvc = 7;
// Not in the FLV spec, but the id Chinese CDNs and encoders use for HEVC with
// the AVC tag layout; it predates Enhanced RTMP and is still sent.
constexpr int kCodecHevcLegacy = 12;
constexpr int kSoundExHeader = 9;
constexpr int kSoundAac = 10;

enum PacketType : uint8_t {
  kSequenceStart = 0,
  kCodedFrames = 1,
  kSequenceEnd = 2,
  kCodedFramesX = 3,
  kMetadata = 4,
  kMpeg2TsSequenceStart = 5,
  kMultitrack = 6,
  kModEx = 7,
};

}  // namespace looplive::media::flv_codes
