#pragma once

// FLV files (Adobe FLV spec v10, section E), as the RTMP tools replay them:
//
//   auto tags = media::read_flv_file("fixture.flv");  // Result<std::vector<FlvTag>>
//
// The reader is strict: a file cut off mid-tag, a PreviousTagSize that does
// not match or an unknown tag type is an error naming the tag number and byte
// offset, because a tool that silently sends a prefix of a file gives
// misleading numbers.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "looplive/core/result.hpp"

namespace looplive::media {

constexpr uint8_t kFlvTagAudio = 8;
constexpr uint8_t kFlvTagVideo = 9;
constexpr uint8_t kFlvTagScript = 18;

struct FlvTag {
  uint8_t type = 0;
  uint32_t timestamp_ms = 0;
  std::vector<uint8_t> body;
};

// A complete FLV file image.
core::Result<std::vector<FlvTag>> parse_flv(std::span<const uint8_t> data);
// Reads and parses `path`; errors start with the path.
core::Result<std::vector<FlvTag>> read_flv_file(const std::string& path);

// `tag` with `timestamp_ms` in file form: the 11-byte tag header, the body and
// the trailing 4-byte PreviousTagSize (what librtmp's RTMP_Write consumes).
void encode_flv_tag(const FlvTag& tag, uint32_t timestamp_ms, std::vector<char>& out);

// AVC or AAC decoder configuration: not a frame, but needed before any frame decodes.
bool is_sequence_header(const FlvTag& tag);
// AVC end-of-sequence marker. Encoders send it once, as the stream's last video tag.
bool is_end_of_sequence(const FlvTag& tag);

}  // namespace looplive::media
