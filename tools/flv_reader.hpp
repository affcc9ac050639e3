#pragma once

// FLV file reading shared by the RTMP test tools (rtmp_publish, rtmp_loadgen).
//
//   std::vector<FlvTag> tags = read_flv_file("fixture.flv");  // throws FlvError
//
// Layout handled (Adobe FLV spec v10, section E): a 9+ byte header ("FLV",
// version 1, flags, data offset), PreviousTagSize0 (= 0), then tags of
// {type, 24-bit body size, 24-bit timestamp + 8-bit extension, 24-bit stream
// id, body} each followed by PreviousTagSize (= 11 + body size). The reader is
// strict: a file cut off mid-tag, a PreviousTagSize that does not match or an
// unknown tag type is reported with the tag number and byte offset, because a
// load tool that silently sends a prefix of the fixture gives misleading
// numbers.

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace looplive::tools {

constexpr uint8_t kFlvTagAudio = 8;
constexpr uint8_t kFlvTagVideo = 9;
constexpr uint8_t kFlvTagScript = 18;
constexpr size_t kFlvTagHeaderSize = 11;
constexpr size_t kFlvPreviousTagSizeSize = 4;

struct FlvTag {
  uint8_t type = 0;
  uint32_t timestamp_ms = 0;
  std::vector<uint8_t> body;
};

class FlvError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace flv_detail {

inline uint32_t read_be24(const uint8_t* p) {
  return (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | uint32_t{p[2]};
}

inline uint32_t read_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | read_be24(p + 1);
}

inline void write_be24(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 16);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v);
}

inline std::string tag_where(size_t index, size_t offset) {
  return "tag #" + std::to_string(index + 1) + " at offset " + std::to_string(offset);
}

}  // namespace flv_detail

// Parses a complete FLV file image. Throws FlvError describing the first problem.
inline std::vector<FlvTag> parse_flv(std::span<const uint8_t> data) {
  using flv_detail::read_be24;
  using flv_detail::read_be32;
  using flv_detail::tag_where;

  if (data.size() < 9) {
    throw FlvError("truncated FLV header: file has " + std::to_string(data.size()) +
                   " bytes, header needs 9");
  }
  if (data[0] != 'F' || data[1] != 'L' || data[2] != 'V') {
    throw FlvError("not an FLV file: signature is not \"FLV\"");
  }
  if (data[3] != 1) {
    throw FlvError("unsupported FLV version " + std::to_string(data[3]) + " (expected 1)");
  }
  const uint32_t data_offset = read_be32(data.data() + 5);
  if (data_offset < 9) {
    throw FlvError("invalid FLV header: data offset " + std::to_string(data_offset) +
                   " is smaller than the 9-byte header");
  }
  if (data_offset > data.size() || data.size() - data_offset < kFlvPreviousTagSizeSize) {
    throw FlvError("truncated FLV file: ends before PreviousTagSize0 at offset " +
                   std::to_string(data_offset));
  }
  size_t pos = data_offset;
  const uint32_t first_previous = read_be32(data.data() + pos);
  if (first_previous != 0) {
    throw FlvError("invalid FLV file: PreviousTagSize0 is " + std::to_string(first_previous) +
                   ", expected 0");
  }
  pos += kFlvPreviousTagSizeSize;

  std::vector<FlvTag> tags;
  while (pos < data.size()) {
    const size_t index = tags.size();
    const size_t left = data.size() - pos;
    if (left < kFlvTagHeaderSize) {
      throw FlvError("truncated FLV file: " + tag_where(index, pos) + " has only " +
                     std::to_string(left) + " of 11 header bytes");
    }
    const uint8_t* header = data.data() + pos;
    if (header[0] & 0x20) {
      throw FlvError("unsupported FLV file: " + tag_where(index, pos) +
                     " is encrypted (filter bit set)");
    }
    const uint8_t type = header[0] & 0x1f;
    if (type != kFlvTagAudio && type != kFlvTagVideo && type != kFlvTagScript) {
      throw FlvError("invalid FLV file: " + tag_where(index, pos) + " has unknown type " +
                     std::to_string(type));
    }
    const uint32_t body_size = read_be24(header + 1);
    const uint32_t timestamp = read_be24(header + 4) | (uint32_t{header[7]} << 24);
    const size_t body_left = left - kFlvTagHeaderSize;
    if (body_left < body_size) {
      throw FlvError("truncated FLV file: " + tag_where(index, pos) + " declares a " +
                     std::to_string(body_size) + "-byte body but only " +
                     std::to_string(body_left) + " bytes remain");
    }
    if (body_left - body_size < kFlvPreviousTagSizeSize) {
      throw FlvError("truncated FLV file: PreviousTagSize missing after " + tag_where(index, pos));
    }
    const uint8_t* body = header + kFlvTagHeaderSize;
    const uint32_t previous = read_be32(body + body_size);
    if (previous != kFlvTagHeaderSize + body_size) {
      throw FlvError("invalid FLV file: " + tag_where(index, pos) +
                     " is followed by PreviousTagSize " + std::to_string(previous) + ", expected " +
                     std::to_string(kFlvTagHeaderSize + body_size));
    }
    tags.push_back(FlvTag{type, timestamp, std::vector<uint8_t>(body, body + body_size)});
    pos += kFlvTagHeaderSize + body_size + kFlvPreviousTagSizeSize;
  }
  if (tags.empty()) {
    throw FlvError("FLV file contains no tags");
  }
  return tags;
}

// Reads and parses `path`. Throws FlvError (prefixed with the path) on I/O or format errors.
inline std::vector<FlvTag> read_flv_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw FlvError(path + ": cannot open: " + std::strerror(errno));
  }
  std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    throw FlvError(path + ": read error");
  }
  try {
    return parse_flv(data);
  } catch (const FlvError& e) {
    throw FlvError(path + ": " + e.what());
  }
}

// AVC or AAC decoder configuration: not a frame, but needed before any frame decodes.
inline bool is_sequence_header(const FlvTag& tag) {
  if (tag.body.size() < 2) {
    return false;
  }
  if (tag.type == kFlvTagVideo) {
    return (tag.body[0] & 0x0f) == 7 && tag.body[1] == 0;
  }
  if (tag.type == kFlvTagAudio) {
    return (tag.body[0] >> 4) == 10 && tag.body[1] == 0;
  }
  return false;
}

// AVC end-of-sequence marker. Encoders send it once, as the stream's last video
// tag; a looping sender must not repeat it between passes.
inline bool is_end_of_sequence(const FlvTag& tag) {
  return tag.type == kFlvTagVideo && tag.body.size() >= 2 && (tag.body[0] & 0x0f) == 7 &&
         tag.body[1] == 2;
}

// The earliest timestamp; pacing counts from here so that a file whose first
// tags are slightly out of order does not start with a wrapped delay.
inline uint32_t min_timestamp_ms(const std::vector<FlvTag>& tags) {
  uint32_t first = tags.empty() ? 0 : tags.front().timestamp_ms;
  for (const FlvTag& tag : tags) {
    first = std::min(first, tag.timestamp_ms);
  }
  return first;
}

// Timestamp span of one pass through the file plus one frame interval, so that
// the first tag of the next pass lands one frame after the last tag of this one.
inline uint32_t loop_period_ms(const std::vector<FlvTag>& tags) {
  constexpr uint32_t kFallbackFrameMs = 40;
  if (tags.empty()) {
    return kFallbackFrameMs;
  }
  const uint32_t first = min_timestamp_ms(tags);
  uint32_t last = first;
  for (const FlvTag& tag : tags) {
    last = std::max(last, tag.timestamp_ms);
  }
  // The final distinct step between frames of one kind approximates its frame duration.
  auto frame_step = [&tags](uint8_t type) -> uint32_t {
    uint32_t newer = 0;
    bool have_newer = false;
    for (auto it = tags.rbegin(); it != tags.rend(); ++it) {
      if (it->type != type || is_sequence_header(*it)) {
        continue;
      }
      if (!have_newer) {
        newer = it->timestamp_ms;
        have_newer = true;
      } else if (it->timestamp_ms < newer) {
        return newer - it->timestamp_ms;
      }
    }
    return 0;
  };
  uint32_t step = frame_step(kFlvTagVideo);
  if (step == 0) {
    step = frame_step(kFlvTagAudio);
  }
  if (step == 0) {
    step = kFallbackFrameMs;
  }
  return last - first + step;
}

// Serialises `tag` with `timestamp_ms` in the form RTMP_Write consumes: the
// 11-byte tag header, the body and the trailing 4-byte PreviousTagSize.
inline void encode_flv_tag(const FlvTag& tag, uint32_t timestamp_ms, std::vector<char>& out) {
  const size_t body_size = tag.body.size();
  out.resize(kFlvTagHeaderSize + body_size + kFlvPreviousTagSizeSize);
  auto* p = reinterpret_cast<uint8_t*>(out.data());
  p[0] = tag.type;
  flv_detail::write_be24(p + 1, static_cast<uint32_t>(body_size));
  flv_detail::write_be24(p + 4, timestamp_ms & 0xffffff);
  p[7] = static_cast<uint8_t>(timestamp_ms >> 24);
  flv_detail::write_be24(p + 8, 0);
  if (body_size != 0) {
    std::memcpy(p + kFlvTagHeaderSize, tag.body.data(), body_size);
  }
  const uint32_t previous = static_cast<uint32_t>(kFlvTagHeaderSize + body_size);
  uint8_t* trailer = p + kFlvTagHeaderSize + body_size;
  trailer[0] = static_cast<uint8_t>(previous >> 24);
  flv_detail::write_be24(trailer + 1, previous);
}

}  // namespace looplive::tools
