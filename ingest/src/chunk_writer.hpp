#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace looplive::ingest {

// Serializes messages to the client into chunks: a type-0 header for the
// first chunk, type-3 headers for the rest, extended timestamps when needed.
class ChunkWriter {
 public:
  void set_chunk_size(uint32_t size) { chunk_size_ = size; }
  uint32_t chunk_size() const { return chunk_size_; }

  void write(uint32_t chunk_stream_id, uint8_t type_id, uint32_t timestamp, uint32_t stream_id,
             std::span<const uint8_t> payload, std::vector<uint8_t>& out) const;

 private:
  uint32_t chunk_size_ = 128;
};

// Payloads of protocol control messages (chunk stream 2, message stream 0).
std::vector<uint8_t> set_chunk_size_payload(uint32_t size);
std::vector<uint8_t> window_ack_size_payload(uint32_t size);
std::vector<uint8_t> set_peer_bandwidth_payload(uint32_t size, uint8_t limit_type);
std::vector<uint8_t> acknowledgement_payload(uint32_t sequence_number);

// User Control events (message type 4).
namespace user_control {
constexpr uint16_t kStreamBegin = 0;
constexpr uint16_t kStreamEof = 1;
constexpr uint16_t kPingRequest = 6;
constexpr uint16_t kPingResponse = 7;
}  // namespace user_control
std::vector<uint8_t> user_control_payload(uint16_t event, uint32_t value);

}  // namespace looplive::ingest
