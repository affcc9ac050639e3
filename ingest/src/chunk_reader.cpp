#include "chunk_reader.hpp"

#include <algorithm>
#include <string>
#include <utility>

namespace looplive::ingest {
namespace {

constexpr uint32_t kExtendedTimestamp = 0xFFFFFF;
constexpr uint32_t kMaxChunkSize = 16 * 1024 * 1024;
constexpr uint32_t kChunkSizeTopBit = 0x80000000;
// Real clients have at most a video, an audio and a command message unfinished
// at a time; this leaves room for that at the largest message size.
constexpr uint64_t kMaxPendingMessages = 4;
// What a message's first chunk reserves at most; a video frame larger than
// this grows its buffer as its chunks arrive.
constexpr size_t kInitialReserve = 64 * 1024;
// Commands, data and control messages are a few hundred bytes from real
// clients; only audio, video and aggregates may reach max_message_size.
constexpr uint32_t kMaxOtherMessage = 64 * 1024;
// Encoders use a handful of chunk streams (control, command, audio, video).
constexpr size_t kMaxChunkStreams = 64;
// Message header size by chunk format 0..3.
constexpr size_t kMessageHeaderSize[] = {11, 7, 3, 0};

// Bytes of the basic header that names chunk stream `csid`.
size_t basic_header_size(uint32_t csid) {
  return csid < 64 ? 1 : csid < 320 ? 2 : 3;
}

uint32_t read_u24be(const uint8_t* p) {
  return (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | uint32_t{p[2]};
}

uint32_t read_u32be(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | read_u24be(p + 1);
}

// The message stream id is the one little-endian field of the chunk header.
uint32_t read_u32le(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

core::Error chunk_error(uint32_t csid, const std::string& what) {
  return core::Error{"rtmp chunk stream " + std::to_string(csid) + ": " + what};
}

bool is_media(uint8_t type_id) {
  return type_id == msg::kAudio || type_id == msg::kVideo || type_id == msg::kAggregate;
}

bool is_command(uint8_t type_id) {
  return type_id == msg::kCommandAmf0 || type_id == msg::kCommandAmf3;
}

}  // namespace

ChunkReader::ChunkReader(uint32_t max_message_size) : max_message_size_(max_message_size) {}

size_t ChunkReader::reserved_bytes() const {
  size_t total = 0;
  for (const auto& entry : streams_) total += entry.second.partial.capacity();
  return total;
}

size_t ChunkReader::bytes_to_finish_message(std::span<const uint8_t> unread) const {
  // The message the next bytes belong to: the one the unread chunk names, or
  // the one the last chunk left unfinished.
  uint32_t csid = last_csid_;
  uint8_t fmt = 3;
  size_t basic = basic_header_size(csid);
  if (!unread.empty()) {
    fmt = unread[0] >> 6;
    csid = unread[0] & 0x3F;
    basic = csid == 0 ? 2 : csid == 1 ? 3 : 1;
    if (unread.size() < basic) return 1;
    if (csid <= 1) csid = 64 + uint32_t{unread[1]} + (csid == 1 ? uint32_t{unread[2]} << 8 : 0);
  }
  const auto found = streams_.find(csid);
  const ChunkStream* stream = found == streams_.end() ? nullptr : &found->second;
  const uint8_t* header = unread.data() + basic;
  const size_t header_in = unread.size() - std::min(unread.size(), basic);

  size_t left = 0;
  bool extended = false;
  if (stream != nullptr && !stream->partial.empty()) {
    left = stream->length - stream->partial.size();
    extended = stream->extended;
  } else if (unread.empty()) {
    return 1;  // between messages
  } else if (fmt <= 1) {
    if (header_in < 7) return 1;
    left = read_u24be(header + 3);
    extended = read_u24be(header) == kExtendedTimestamp;
  } else if (stream != nullptr) {
    left = stream->length;  // a new message that repeats the last one's length
    extended =
        fmt == 2 ? header_in >= 3 && read_u24be(header) == kExtendedTimestamp : stream->extended;
  } else {
    return 1;  // not a valid start: feed() will say so
  }
  const size_t chunks = std::max<size_t>(1, (left + chunk_size_ - 1) / chunk_size_);
  const size_t per_chunk = basic + (extended ? 4 : 0);
  const size_t needed = left + chunks * per_chunk + kMessageHeaderSize[fmt];
  return needed > unread.size() ? needed - unread.size() : 1;
}

core::Result<size_t> ChunkReader::feed(std::span<const uint8_t> data,
                                       std::vector<RtmpMessage>& out) {
  size_t consumed = 0;
  while (consumed < data.size()) {
    const size_t messages = out.size();
    auto chunk = read_chunk(data.subspan(consumed), out);
    if (!chunk) return chunk.error();
    if (*chunk == 0) break;
    consumed += *chunk;
    if (large_media_held_ && out.size() > messages && is_command(out.back().type_id)) break;
  }
  return consumed;
}

core::Result<size_t> ChunkReader::read_chunk(std::span<const uint8_t> data,
                                             std::vector<RtmpMessage>& out) {
  // Nothing below changes state until the whole chunk is known to be in
  // `data`, so a chunk cut short is simply read again on the next call.
  size_t pos = 1;
  const uint8_t fmt = data[0] >> 6;
  uint32_t csid = data[0] & 0x3F;
  if (csid == 0) {
    if (data.size() < 2) return size_t{0};
    csid = 64 + uint32_t{data[1]};
    pos = 2;
  } else if (csid == 1) {
    if (data.size() < 3) return size_t{0};
    csid = 64 + uint32_t{data[1]} + (uint32_t{data[2]} << 8);
    pos = 3;
  }
  if (data.size() < pos + kMessageHeaderSize[fmt]) return size_t{0};

  auto found = streams_.find(csid);
  ChunkStream* stream = found == streams_.end() ? nullptr : &found->second;
  if (fmt != 0 && (stream == nullptr || !stream->has_header)) {
    return chunk_error(
        csid, "header of format " + std::to_string(fmt) + " without an earlier format 0 header");
  }

  const uint8_t* header = data.data() + pos;
  pos += kMessageHeaderSize[fmt];
  uint32_t timestamp_field = 0;
  bool extended = false;
  if (fmt <= 2) {
    timestamp_field = read_u24be(header);
    extended = timestamp_field == kExtendedTimestamp;
  } else {
    extended = stream->extended;
  }
  const uint32_t length = fmt <= 1 ? read_u24be(header + 3) : stream->length;
  const uint8_t type_id = fmt <= 1 ? header[6] : stream->type_id;
  const uint32_t stream_id = fmt == 0 ? read_u32le(header + 7) : stream->stream_id;
  if (extended) {
    if (data.size() < pos + 4) return size_t{0};
    // On a format 3 header this repeats the value of the last full field,
    // which is already stored, so it is only skipped.
    if (fmt <= 2) timestamp_field = read_u32be(data.data() + pos);
    pos += 4;
  }

  const bool in_progress = stream != nullptr && !stream->partial.empty();
  if (in_progress && fmt != 3) {
    if (fmt <= 1 && length != stream->length) {
      return chunk_error(csid, "message length changed from " + std::to_string(stream->length) +
                                   " to " + std::to_string(length) + " in the middle of a message");
    }
    // An unfinished message can only be dropped with an Abort message.
    return chunk_error(csid, "header of format " + std::to_string(fmt) + " after " +
                                 std::to_string(stream->partial.size()) + " of " +
                                 std::to_string(stream->length) + " bytes of a message");
  }
  const uint32_t size_limit =
      is_media(type_id) && !large_media_held_ ? max_message_size_ : kMaxOtherMessage;
  if (length > size_limit) {
    return chunk_error(csid, "message of type " + std::to_string(type_id) + " and " +
                                 std::to_string(length) + " bytes exceeds the limit of " +
                                 std::to_string(size_limit));
  }
  if (stream == nullptr && streams_.size() >= kMaxChunkStreams) {
    return chunk_error(csid, "more than " + std::to_string(kMaxChunkStreams) + " chunk streams");
  }

  const size_t received = in_progress ? stream->partial.size() : 0;
  const size_t payload_size = std::min<size_t>(length - received, chunk_size_);
  if (data.size() - pos < payload_size) return size_t{0};
  const bool completes = received + payload_size == length;

  if (!in_progress) {
    if (!completes) {
      const uint64_t limit = kMaxPendingMessages * max_message_size_;
      if (pending_bytes_ + length > limit) {
        return chunk_error(
            csid, "unfinished messages would hold more than " + std::to_string(limit) + " bytes");
      }
      pending_bytes_ += length;
    }
    if (stream == nullptr) stream = &streams_[csid];
    switch (fmt) {
      case 0:
        stream->timestamp = timestamp_field;
        stream->stream_id = stream_id;
        stream->has_header = true;
        break;
      case 1:
      case 2:
        stream->timestamp += timestamp_field;  // wraps like the 32-bit wire value
        break;
      default:
        // A format 3 header starting a message repeats the previous delta (or,
        // after a format 0 header, its timestamp, as the spec's example does).
        stream->timestamp += stream->timestamp_field;
        break;
    }
    if (fmt <= 2) {
      stream->timestamp_field = timestamp_field;
      stream->extended = extended;
    }
    stream->length = length;
    stream->type_id = type_id;
    // Memory for the bytes that came, not for the length announced: a header
    // costs a client nothing to send (the vector grows as chunks arrive).
    stream->partial.reserve(std::min<size_t>(length, kInitialReserve));
  }

  last_csid_ = csid;
  const auto payload = data.subspan(pos, payload_size);
  stream->partial.insert(stream->partial.end(), payload.begin(), payload.end());
  pos += payload_size;
  if (!completes) return pos;

  if (in_progress) pending_bytes_ -= stream->length;
  RtmpMessage message;
  message.chunk_stream_id = csid;
  message.type_id = stream->type_id;
  message.timestamp = stream->timestamp;
  message.stream_id = stream->stream_id;
  message.payload = core::SharedBytes(std::move(stream->partial));
  // A moved-from vector is only promised to be valid, not empty.
  stream->partial = std::vector<uint8_t>();

  if (message.type_id == msg::kSetChunkSize || message.type_id == msg::kAbort) {
    if (auto applied = apply_control(message); !applied) return applied.error();
  } else {
    out.push_back(std::move(message));
  }
  return pos;
}

core::Status ChunkReader::apply_control(const RtmpMessage& message) {
  const auto& payload = message.payload;
  const char* name = message.type_id == msg::kSetChunkSize ? "Set Chunk Size" : "Abort";
  if (payload.size() < 4) {
    return chunk_error(message.chunk_stream_id, std::string(name) + " message of " +
                                                    std::to_string(payload.size()) + " bytes");
  }
  const uint32_t value = read_u32be(payload.data());

  if (message.type_id == msg::kSetChunkSize) {
    const uint32_t limit = std::min(max_message_size_, kMaxChunkSize);
    if (value == 0 || (value & kChunkSizeTopBit) != 0 || value > limit) {
      return chunk_error(message.chunk_stream_id, "Set Chunk Size " + std::to_string(value) +
                                                      " is outside 1.." + std::to_string(limit));
    }
    chunk_size_ = value;
    return core::Ok{};
  }

  auto found = streams_.find(value);
  if (found != streams_.end() && !found->second.partial.empty()) {
    pending_bytes_ -= found->second.length;
    // Swapping, not clearing, gives back the memory reserved for the message.
    std::vector<uint8_t>().swap(found->second.partial);
  }
  return core::Ok{};
}

}  // namespace looplive::ingest
