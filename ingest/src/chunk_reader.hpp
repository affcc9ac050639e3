#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "looplive/core/result.hpp"
#include "looplive/core/shared_bytes.hpp"

namespace looplive::ingest {

// RTMP message type ids.
namespace msg {
constexpr uint8_t kSetChunkSize = 1;
constexpr uint8_t kAbort = 2;
constexpr uint8_t kAcknowledgement = 3;
constexpr uint8_t kUserControl = 4;
constexpr uint8_t kWindowAckSize = 5;
constexpr uint8_t kSetPeerBandwidth = 6;
constexpr uint8_t kAudio = 8;
constexpr uint8_t kVideo = 9;
constexpr uint8_t kDataAmf3 = 15;
constexpr uint8_t kCommandAmf3 = 17;
constexpr uint8_t kDataAmf0 = 18;
constexpr uint8_t kCommandAmf0 = 20;
constexpr uint8_t kAggregate = 22;
}  // namespace msg

struct RtmpMessage {
  uint32_t chunk_stream_id = 0;
  uint8_t type_id = 0;
  uint32_t timestamp = 0;  // absolute, milliseconds, 32-bit as on the wire (wraps)
  uint32_t stream_id = 0;
  core::SharedBytes payload;  // the one copy of the bytes off the socket
};

// Reassembles RTMP messages from chunks (all four header formats, extended
// timestamps including on type-3 chunks, many chunk streams interleaved).
// Set Chunk Size and Abort are applied here, as they change how the very next
// chunk is read, and are not returned. A connection may use 64 chunk streams,
// and only audio, video and aggregate messages may be larger than 64 KiB
// (see hold_back_large_media()).
// Any violation is an Error: the caller closes that one connection.
class ChunkReader {
 public:
  explicit ChunkReader(uint32_t max_message_size);

  // Parses as many whole chunks as `data` holds and appends finished messages
  // to `out`. Returns how many bytes were consumed; the caller keeps the rest
  // and calls again with more bytes appended.
  core::Result<size_t> feed(std::span<const uint8_t> data, std::vector<RtmpMessage>& out);

  // Until a client has asked to publish, its media means nothing and may
  // not be larger than 64 KiB either: a connection that has not logged in
  // cannot make the server hold a large message. While they are held back,
  // feed() stops after each command message, so that the caller can handle
  // a publish before the header of a large message that follows it is read.
  void hold_back_large_media(bool held) { large_media_held_ = held; }
  uint32_t chunk_size() const { return chunk_size_; }
  // The fewest bytes still to arrive before the next message can be complete,
  // given `unread`, what feed() left unconsumed (the start of the next chunk):
  // the rest of the message in progress and one chunk header per chunk left
  // (1 between messages). Exact for a sender that finishes one message before
  // starting the next, as encoders do; one that interleaves chunk streams only
  // makes it large, never small.
  size_t bytes_to_finish_message(std::span<const uint8_t> unread) const;
  // Memory held for unfinished messages.
  size_t reserved_bytes() const;

 private:
  struct ChunkStream {
    uint32_t timestamp = 0;        // absolute timestamp of the current/last message
    uint32_t timestamp_field = 0;  // last header's timestamp or delta (extended value if used)
    bool extended = false;         // last header used an extended timestamp
    uint32_t length = 0;
    uint8_t type_id = 0;
    uint32_t stream_id = 0;
    bool has_header = false;       // a type-0 header was seen on this chunk stream
    std::vector<uint8_t> partial;  // payload gathered so far for the message in progress
  };

  // Reads one whole chunk from the front of `data`; 0 when it is not all there yet.
  core::Result<size_t> read_chunk(std::span<const uint8_t> data, std::vector<RtmpMessage>& out);
  core::Status apply_control(const RtmpMessage& message);

  uint32_t max_message_size_;
  bool large_media_held_ = false;
  uint32_t chunk_size_ = 128;
  std::unordered_map<uint32_t, ChunkStream> streams_;
  uint32_t last_csid_ = 0;  // chunk stream of the last whole chunk read
  // Declared lengths of the unfinished messages: each one's buffer is reserved
  // up front, so this bounds what a peer can make us allocate.
  uint64_t pending_bytes_ = 0;
};

}  // namespace looplive::ingest
