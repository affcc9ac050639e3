#include "looplive/media/flv_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "flv_codes.hpp"

namespace looplive::media {
namespace {

constexpr size_t kTagHeaderSize = 11;
constexpr size_t kPreviousTagSizeSize = 4;

uint32_t read_be24(const uint8_t* p) {
  return (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | uint32_t{p[2]};
}

uint32_t read_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | read_be24(p + 1);
}

void write_be24(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 16);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v);
}

std::string tag_where(size_t index, size_t offset) {
  return "tag #" + std::to_string(index + 1) + " at offset " + std::to_string(offset);
}

core::Error error(std::string message) {
  return core::Error{std::move(message)};
}

// Checks the file header and PreviousTagSize0; the first tag's offset.
core::Result<size_t> first_tag(std::span<const uint8_t> data) {
  if (data.size() < 9) {
    return error("truncated FLV header: file has " + std::to_string(data.size()) +
                 " bytes, header needs 9");
  }
  if (data[0] != 'F' || data[1] != 'L' || data[2] != 'V') {
    return error("not an FLV file: signature is not \"FLV\"");
  }
  if (data[3] != 1) {
    return error("unsupported FLV version " + std::to_string(data[3]) + " (expected 1)");
  }
  const uint32_t data_offset = read_be32(data.data() + 5);
  if (data_offset < 9) {
    return error("invalid FLV header: data offset " + std::to_string(data_offset) +
                 " is smaller than the 9-byte header");
  }
  if (data_offset > data.size() || data.size() - data_offset < kPreviousTagSizeSize) {
    return error("truncated FLV file: ends before PreviousTagSize0 at offset " +
                 std::to_string(data_offset));
  }
  const uint32_t first_previous = read_be32(data.data() + data_offset);
  if (first_previous != 0) {
    return error("invalid FLV file: PreviousTagSize0 is " + std::to_string(first_previous) +
                 ", expected 0");
  }
  return data_offset + kPreviousTagSizeSize;
}

}  // namespace

core::Result<std::vector<FlvTag>> parse_flv(std::span<const uint8_t> data) {
  auto start = first_tag(data);
  if (!start) return start.error();
  size_t pos = *start;
  std::vector<FlvTag> tags;
  while (pos < data.size()) {
    const size_t index = tags.size();
    const size_t left = data.size() - pos;
    if (left < kTagHeaderSize) {
      return error("truncated FLV file: " + tag_where(index, pos) + " has only " +
                   std::to_string(left) + " of 11 header bytes");
    }
    const uint8_t* header = data.data() + pos;
    if (header[0] & 0x20) {
      return error("unsupported FLV file: " + tag_where(index, pos) +
                   " is encrypted (filter bit set)");
    }
    const uint8_t type = header[0] & 0x1f;
    if (type != kFlvTagAudio && type != kFlvTagVideo && type != kFlvTagScript) {
      return error("invalid FLV file: " + tag_where(index, pos) + " has unknown type " +
                   std::to_string(type));
    }
    const uint32_t body_size = read_be24(header + 1);
    const uint32_t timestamp = read_be24(header + 4) | (uint32_t{header[7]} << 24);
    const size_t body_left = left - kTagHeaderSize;
    if (body_left < body_size) {
      return error("truncated FLV file: " + tag_where(index, pos) + " declares a " +
                   std::to_string(body_size) + "-byte body but only " + std::to_string(body_left) +
                   " bytes remain");
    }
    if (body_left - body_size < kPreviousTagSizeSize) {
      return error("truncated FLV file: PreviousTagSize missing after " + tag_where(index, pos));
    }
    const uint8_t* body = header + kTagHeaderSize;
    const uint32_t previous = read_be32(body + body_size);
    if (previous != kTagHeaderSize + body_size) {
      return error("invalid FLV file: " + tag_where(index, pos) +
                   " is followed by PreviousTagSize " + std::to_string(previous) + ", expected " +
                   std::to_string(kTagHeaderSize + body_size));
    }
    tags.push_back(FlvTag{type, timestamp, std::vector<uint8_t>(body, body + body_size)});
    pos += kTagHeaderSize + body_size + kPreviousTagSizeSize;
  }
  if (tags.empty()) return error("FLV file contains no tags");
  return tags;
}

core::Result<std::vector<FlvTag>> read_flv_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return error(path + ": cannot open: " + std::strerror(errno));
  std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return error(path + ": read error");
  auto tags = parse_flv(data);
  if (!tags) return tags.error().wrap(path);
  return tags;
}

void encode_flv_tag(const FlvTag& tag, uint32_t timestamp_ms, std::vector<char>& out) {
  const size_t body_size = tag.body.size();
  out.resize(kTagHeaderSize + body_size + kPreviousTagSizeSize);
  auto* p = reinterpret_cast<uint8_t*>(out.data());
  p[0] = tag.type;
  write_be24(p + 1, static_cast<uint32_t>(body_size));
  write_be24(p + 4, timestamp_ms & 0xffffff);
  p[7] = static_cast<uint8_t>(timestamp_ms >> 24);
  write_be24(p + 8, 0);
  if (body_size != 0) std::memcpy(p + kTagHeaderSize, tag.body.data(), body_size);
  const auto previous = static_cast<uint32_t>(kTagHeaderSize + body_size);
  uint8_t* trailer = p + kTagHeaderSize + body_size;
  trailer[0] = static_cast<uint8_t>(previous >> 24);
  write_be24(trailer + 1, previous);
}

bool is_sequence_header(const FlvTag& tag) {
  if (tag.body.size() < 2) return false;
  if (tag.type == kFlvTagVideo) {
    return (tag.body[0] & 0x0f) == flv_codes::kCodecAvc && tag.body[1] == flv_codes::kSequenceStart;
  }
  if (tag.type == kFlvTagAudio)
    return (tag.body[0] >> 4) == flv_codes::kSoundAac && tag.body[1] == 0;
  return false;
}

bool is_end_of_sequence(const FlvTag& tag) {
  return tag.type == kFlvTagVideo && tag.body.size() >= 2 &&
         (tag.body[0] & 0x0f) == flv_codes::kCodecAvc && tag.body[1] == flv_codes::kSequenceEnd;
}

}  // namespace looplive::media
