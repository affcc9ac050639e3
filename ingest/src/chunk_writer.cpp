#include "chunk_writer.hpp"

#include <algorithm>
#include <cassert>

namespace looplive::ingest {
namespace {

constexpr uint32_t kExtendedTimestamp = 0xFFFFFF;
constexpr uint32_t kMaxChunkStreamId = 65599;
constexpr uint32_t kMaxMessageLength = 0xFFFFFF;

void put_u16be(uint16_t value, std::vector<uint8_t>& out) {
  out.push_back(static_cast<uint8_t>(value >> 8));
  out.push_back(static_cast<uint8_t>(value));
}

void put_u24be(uint32_t value, std::vector<uint8_t>& out) {
  out.push_back(static_cast<uint8_t>(value >> 16));
  out.push_back(static_cast<uint8_t>(value >> 8));
  out.push_back(static_cast<uint8_t>(value));
}

void put_u32be(uint32_t value, std::vector<uint8_t>& out) {
  out.push_back(static_cast<uint8_t>(value >> 24));
  put_u24be(value, out);
}

void put_u32le(uint32_t value, std::vector<uint8_t>& out) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<uint8_t>(value >> shift));
}

// Chunk stream ids 0 and 1 are the markers of the 2- and 3-byte forms, so the
// shortest form that can hold the id is the only one a reader accepts for it.
void put_basic_header(uint8_t fmt, uint32_t csid, std::vector<uint8_t>& out) {
  const auto tag = static_cast<uint8_t>(fmt << 6);
  if (csid < 64) {
    out.push_back(static_cast<uint8_t>(tag | csid));
  } else if (csid < 64 + 256) {
    out.push_back(tag);
    out.push_back(static_cast<uint8_t>(csid - 64));
  } else {
    out.push_back(static_cast<uint8_t>(tag | 1));
    out.push_back(static_cast<uint8_t>((csid - 64) & 0xFF));
    out.push_back(static_cast<uint8_t>((csid - 64) >> 8));
  }
}

std::vector<uint8_t> u32be_payload(uint32_t value) {
  std::vector<uint8_t> out;
  out.reserve(4);
  put_u32be(value, out);
  return out;
}

}  // namespace

void ChunkWriter::write(uint32_t chunk_stream_id, uint8_t type_id, uint32_t timestamp,
                        uint32_t stream_id, std::span<const uint8_t> payload,
                        std::vector<uint8_t>& out) const {
  assert(chunk_stream_id >= 2 && chunk_stream_id <= kMaxChunkStreamId);
  assert(payload.size() <= kMaxMessageLength);
  // A chunk size of 0 would never make progress; the peer could not read it anyway.
  const size_t chunk_size = std::max<uint32_t>(chunk_size_, 1);
  const bool extended = timestamp >= kExtendedTimestamp;
  const size_t chunks = payload.empty() ? 1 : (payload.size() + chunk_size - 1) / chunk_size;
  out.reserve(out.size() + payload.size() + 18 + (chunks - 1) * 7);

  size_t offset = 0;
  do {
    const bool first = offset == 0;
    put_basic_header(first ? 0 : 3, chunk_stream_id, out);
    if (first) {
      put_u24be(extended ? kExtendedTimestamp : timestamp, out);
      put_u24be(static_cast<uint32_t>(payload.size()), out);
      out.push_back(type_id);
      put_u32le(stream_id, out);
    }
    // Readers expect the extended field again on every format 3 chunk.
    if (extended) put_u32be(timestamp, out);
    const size_t size = std::min(chunk_size, payload.size() - offset);
    const auto part = payload.subspan(offset, size);
    out.insert(out.end(), part.begin(), part.end());
    offset += size;
  } while (offset < payload.size());
}

std::vector<uint8_t> set_chunk_size_payload(uint32_t size) {
  // The top bit is reserved and must be sent as zero.
  return u32be_payload(size & 0x7FFFFFFF);
}

std::vector<uint8_t> window_ack_size_payload(uint32_t size) {
  return u32be_payload(size);
}

std::vector<uint8_t> set_peer_bandwidth_payload(uint32_t size, uint8_t limit_type) {
  auto out = u32be_payload(size);
  out.push_back(limit_type);
  return out;
}

std::vector<uint8_t> acknowledgement_payload(uint32_t sequence_number) {
  return u32be_payload(sequence_number);
}

std::vector<uint8_t> user_control_payload(uint16_t event, uint32_t value) {
  std::vector<uint8_t> out;
  out.reserve(6);
  put_u16be(event, out);
  put_u32be(value, out);
  return out;
}

}  // namespace looplive::ingest
