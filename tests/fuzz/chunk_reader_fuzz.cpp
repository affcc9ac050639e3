// Feeds arbitrary bytes to ChunkReader twice, whole and cut into pieces the
// way a socket delivers them, and insists both readings agree; every message
// read is then written with ChunkWriter and must read back unchanged.
//
// Input layout: byte 0 picks how many of the following bytes are piece sizes
// (0..7) and the chunk size the writer uses; the rest is the RTMP stream.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "chunk_reader.hpp"
#include "chunk_writer.hpp"

namespace ingest = looplive::ingest;

namespace {

// Small enough that the limit on unfinished messages is reachable within one
// input, and that reserving declared lengths does not slow every run down.
constexpr uint32_t kMaxMessage = 64 * 1024;

// An abort is what libFuzzer records as a crash, together with the input.
void expect(bool condition) {
  if (!condition) std::abort();
}

struct Outcome {
  std::vector<ingest::RtmpMessage> messages;
  bool failed = false;
  std::string error;
  size_t unconsumed = 0;
};

bool same(const ingest::RtmpMessage& a, const ingest::RtmpMessage& b) {
  return a.chunk_stream_id == b.chunk_stream_id && a.type_id == b.type_id &&
         a.timestamp == b.timestamp && a.stream_id == b.stream_id && a.payload == b.payload;
}

bool same(const std::vector<ingest::RtmpMessage>& a, const std::vector<ingest::RtmpMessage>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!same(a[i], b[i])) return false;
  }
  return true;
}

// Keeps what feed() did not consume and appends the next piece to it. With no
// sizes the whole stream is one piece.
Outcome read_in_pieces(std::span<const uint8_t> stream, std::span<const uint8_t> sizes) {
  ingest::ChunkReader reader(kMaxMessage);
  Outcome outcome;
  std::vector<uint8_t> pending;
  size_t from = 0;
  size_t next = 0;
  while (from < stream.size()) {
    const size_t left = stream.size() - from;
    const size_t piece =
        sizes.empty() ? left : std::min<size_t>(left, size_t{sizes[next++ % sizes.size()]} + 1);
    pending.insert(pending.end(), stream.begin() + static_cast<ptrdiff_t>(from),
                   stream.begin() + static_cast<ptrdiff_t>(from + piece));
    from += piece;
    const size_t before = outcome.messages.size();
    auto consumed = reader.feed(pending, outcome.messages);
    if (!consumed) {
      expect(!consumed.error().message.empty());
      outcome.failed = true;
      outcome.error = consumed.error().message;
      return outcome;
    }
    expect(*consumed <= pending.size());
    // Every chunk carries at least a one-byte header, so no bytes means no message.
    expect(*consumed > 0 || outcome.messages.size() == before);
    pending.erase(pending.begin(), pending.begin() + static_cast<ptrdiff_t>(*consumed));
  }
  for (const auto& message : outcome.messages) {
    expect(message.payload.size() <= kMaxMessage);
    expect(message.type_id != ingest::msg::kSetChunkSize && message.type_id != ingest::msg::kAbort);
  }
  outcome.unconsumed = pending.size();
  return outcome;
}

void check_rewrite(const std::vector<ingest::RtmpMessage>& messages, uint32_t chunk_size) {
  ingest::ChunkWriter writer;
  std::vector<uint8_t> bytes;
  writer.write(2, ingest::msg::kSetChunkSize, 0, 0, ingest::set_chunk_size_payload(chunk_size),
               bytes);
  writer.set_chunk_size(chunk_size);
  for (const auto& message : messages) {
    writer.write(message.chunk_stream_id, message.type_id, message.timestamp, message.stream_id,
                 message.payload.span(), bytes);
  }
  ingest::ChunkReader reader(kMaxMessage);
  std::vector<ingest::RtmpMessage> again;
  auto consumed = reader.feed(bytes, again);
  expect(consumed.ok());
  expect(*consumed == bytes.size());
  expect(same(messages, again));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::span<const uint8_t> input(data, size);
  const size_t size_count = std::min<size_t>(input[0] & 0x07, input.size() - 1);
  const uint32_t chunk_size = 1 + (uint32_t{input[0]} >> 3) * 97;
  const auto sizes = input.subspan(1, size_count);
  const auto stream = input.subspan(1 + size_count);

  const Outcome whole = read_in_pieces(stream, {});
  const Outcome pieces = read_in_pieces(stream, sizes);
  expect(whole.failed == pieces.failed);
  expect(whole.error == pieces.error);
  expect(same(whole.messages, pieces.messages));
  expect(whole.unconsumed == pieces.unconsumed);

  check_rewrite(whole.messages, chunk_size);
  return 0;
}
