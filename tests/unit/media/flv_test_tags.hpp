#pragma once

// FLV tag bodies and checks shared by the tag reader's tests.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "looplive/media/flv_tag_reader.hpp"

namespace looplive::media::test_tags {

using core::SharedBytes;

// Tag bodies from an FLV written by the installed ffmpeg 5.1:
// ffmpeg -f lavfi -i testsrc2=size=1280x720:rate=30 -f lavfi -i sine=sample_rate=44100 -t 1
//   -c:v libx264 -profile:v high -level 3.1 -pix_fmt yuv420p -bf 2 -c:a aac -ac 2 clip.flv
// First video tag: key frame, AVC sequence header, avcC.
inline const std::vector<uint8_t> kFlvAvcSequenceHeader = {
    0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x1a,
    0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb, 0x01, 0x10, 0x00,
    0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1, 0x83, 0x19, 0x60,
    0x01, 0x00, 0x06, 0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0, 0xfd, 0xf8, 0xf8, 0x00,
};

// First audio tag: AAC 44.1 kHz stereo, AudioSpecificConfig.
inline const std::vector<uint8_t> kFlvAacSequenceHeader = {
    0xaf, 0x00, 0x12, 0x10, 0x56, 0xe5, 0x00,
};

// Access units in AVCC form: an SEI then an IDR slice, and a lone non-IDR slice.
inline const std::vector<uint8_t> kIdrAccessUnit = {0, 0, 0, 3,    0x06, 0x05, 0x80, 0,
                                                    0, 0, 4, 0x65, 0x88, 0x84, 0x00};
inline const std::vector<uint8_t> kInterAccessUnit = {0, 0, 0, 3, 0x41, 0x9A, 0x00};
// HEVC: an IDR_W_RADL slice, and a TRAIL_R slice.
inline const std::vector<uint8_t> kHevcIdrAccessUnit = {0, 0, 0, 4, 0x26, 0x01, 0xAF, 0x00};
inline const std::vector<uint8_t> kHevcInterAccessUnit = {0, 0, 0, 4, 0x02, 0x01, 0xD0, 0x00};
// AV1: a temporal delimiter OBU then a frame OBU in low-overhead form.
inline const std::vector<uint8_t> kAv1TemporalUnit = {0x12, 0x00, 0x32, 0x03, 0x10, 0x00, 0x80};

inline SharedBytes tag(std::initializer_list<uint8_t> header,
                       const std::vector<uint8_t>& body = {}) {
  std::vector<uint8_t> bytes(header);
  bytes.insert(bytes.end(), body.begin(), body.end());
  return SharedBytes(std::move(bytes));
}

inline SharedBytes tag(const std::vector<uint8_t>& bytes) {
  return SharedBytes::copy_of(bytes);
}

// Enhanced RTMP video header: isExVideoHeader, frame type, packet type, FourCC.
inline SharedBytes ex_video(int frame_type, int packet_type, const char* fourcc,
                            std::initializer_list<uint8_t> extra,
                            const std::vector<uint8_t>& body) {
  std::vector<uint8_t> bytes = {static_cast<uint8_t>(0x80 | frame_type << 4 | packet_type)};
  bytes.insert(bytes.end(), fourcc, fourcc + 4);
  bytes.insert(bytes.end(), extra);
  bytes.insert(bytes.end(), body.begin(), body.end());
  return SharedBytes(std::move(bytes));
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// An accepted tag carries exactly one of a track, a packet or a reason.
inline bool well_formed(const FlvTagReader::Output& out) {
  return int(out.track.has_value()) + int(out.packet.has_value()) + int(!out.ignored.empty()) == 1;
}

// Rejected: an error, or accepted with nothing but a reason.
inline bool rejected(const looplive::core::Result<FlvTagReader::Output>& result) {
  return !result.ok() || (!result->track && !result->packet && !result->ignored.empty());
}

inline SharedBytes prefix(const SharedBytes& bytes, size_t length) {
  return SharedBytes::copy_of(bytes.span().first(length));
}

}  // namespace looplive::media::test_tags
