#include <catch2/catch.hpp>

#include <cstdint>
#include <initializer_list>
#include <numeric>
#include <string>
#include <vector>

#include "chunk_reader.hpp"
#include "chunk_writer.hpp"

namespace ingest = looplive::ingest;
namespace msg = looplive::ingest::msg;

namespace {

using Bytes = std::vector<uint8_t>;

constexpr uint32_t kMaxMessage = 1024 * 1024;

Bytes counting_payload(size_t size, uint8_t start = 0) {
  Bytes payload(size);
  std::iota(payload.begin(), payload.end(), start);
  return payload;
}

void append(Bytes& out, std::initializer_list<uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

void append(Bytes& out, const Bytes& bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

Bytes payload_of(const ingest::RtmpMessage& message) {
  return Bytes(message.payload.span().begin(), message.payload.span().end());
}

// A message as a test expects it; compared field by field for readable failures.
struct Expected {
  uint32_t csid;
  uint8_t type_id;
  uint32_t timestamp;
  uint32_t stream_id;
  Bytes payload;
};

void check_messages(const std::vector<ingest::RtmpMessage>& got,
                    const std::vector<Expected>& expected) {
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("message " << i);
    CHECK(got[i].chunk_stream_id == expected[i].csid);
    CHECK(int{got[i].type_id} == int{expected[i].type_id});
    CHECK(got[i].timestamp == expected[i].timestamp);
    CHECK(got[i].stream_id == expected[i].stream_id);
    CHECK(payload_of(got[i]) == expected[i].payload);
  }
}

// Feeds everything at once and insists all of it is consumed.
std::vector<ingest::RtmpMessage> read_all(const Bytes& bytes, uint32_t max = kMaxMessage) {
  ingest::ChunkReader reader(max);
  std::vector<ingest::RtmpMessage> out;
  auto consumed = reader.feed(bytes, out);
  INFO((consumed ? std::string() : consumed.error().message));
  REQUIRE(consumed.ok());
  REQUIRE(*consumed == bytes.size());
  return out;
}

// The error a byte stream ends in; fails the test if it reads cleanly.
std::string read_error(const Bytes& bytes, uint32_t max = kMaxMessage) {
  ingest::ChunkReader reader(max);
  std::vector<ingest::RtmpMessage> out;
  auto consumed = reader.feed(bytes, out);
  REQUIRE_FALSE(consumed.ok());
  return consumed.error().message;
}

Bytes written(const ingest::ChunkWriter& writer, uint32_t csid, uint8_t type, uint32_t timestamp,
              uint32_t stream_id, const Bytes& payload) {
  Bytes out;
  writer.write(csid, type, timestamp, stream_id, payload, out);
  return out;
}

Bytes set_chunk_size_message(uint32_t size) {
  ingest::ChunkWriter writer;
  return written(writer, 2, msg::kSetChunkSize, 0, 0, ingest::set_chunk_size_payload(size));
}

Bytes raw_set_chunk_size_message(std::initializer_list<uint8_t> payload) {
  ingest::ChunkWriter writer;
  return written(writer, 2, msg::kSetChunkSize, 0, 0, Bytes(payload));
}

Bytes abort_message(uint32_t csid) {
  ingest::ChunkWriter writer;
  return written(writer, 2, msg::kAbort, 0, 0, ingest::acknowledgement_payload(csid));
}

// Splits the writer's output for one message (1-byte basic headers) into its chunks.
std::vector<Bytes> chunks_of(const Bytes& bytes, size_t chunk_size, bool extended) {
  std::vector<Bytes> chunks;
  size_t pos = 0;
  bool first = true;
  while (pos < bytes.size()) {
    const size_t header = (first ? 12 : 1) + (extended ? 4 : 0);
    const size_t size = std::min(header + chunk_size, bytes.size() - pos);
    chunks.emplace_back(bytes.begin() + static_cast<ptrdiff_t>(pos),
                        bytes.begin() + static_cast<ptrdiff_t>(pos + size));
    pos += size;
    first = false;
  }
  return chunks;
}

}  // namespace

TEST_CASE("ChunkReader reads all four header formats", "[ingest][rtmp][chunk]") {
  Bytes bytes;
  // fmt 0: csid 4, timestamp 1000, length 3, audio, stream 1.
  append(bytes, {0x04, 0x00, 0x03, 0xE8, 0x00, 0x00, 0x03, 0x08, 0x01, 0x00, 0x00, 0x00});
  append(bytes, {0xA1, 0xA2, 0xA3});
  // fmt 1: delta 20, length 2, video.
  append(bytes, {0x44, 0x00, 0x00, 0x14, 0x00, 0x00, 0x02, 0x09, 0xB1, 0xB2});
  // fmt 2: delta 30.
  append(bytes, {0x84, 0x00, 0x00, 0x1E, 0xC1, 0xC2});
  // fmt 3 starting a message: same length, type and delta again.
  append(bytes, {0xC4, 0xD1, 0xD2});
  append(bytes, {0xC4, 0xE1, 0xE2});

  check_messages(read_all(bytes), {
                                      {4, msg::kAudio, 1000, 1, {0xA1, 0xA2, 0xA3}},
                                      {4, msg::kVideo, 1020, 1, {0xB1, 0xB2}},
                                      {4, msg::kVideo, 1050, 1, {0xC1, 0xC2}},
                                      {4, msg::kVideo, 1080, 1, {0xD1, 0xD2}},
                                      {4, msg::kVideo, 1110, 1, {0xE1, 0xE2}},
                                  });
}

TEST_CASE("ChunkReader: type 3 right after type 0 repeats the timestamp as delta",
          "[ingest][rtmp][chunk]") {
  Bytes bytes;
  append(bytes, {0x03, 0x00, 0x00, 0x28, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x01});
  append(bytes, {0xC3, 0x02});
  append(bytes, {0xC3, 0x03});
  check_messages(read_all(bytes), {
                                      {3, msg::kAudio, 40, 0, {0x01}},
                                      {3, msg::kAudio, 80, 0, {0x02}},
                                      {3, msg::kAudio, 120, 0, {0x03}},
                                  });
}

TEST_CASE("ChunkReader reassembles messages split by ChunkWriter", "[ingest][rtmp][chunk]") {
  const uint32_t chunk_size = GENERATE(1u, 2u, 127u, 128u, 129u, 4096u, 65536u);
  const uint32_t csid = GENERATE(2u, 63u, 64u, 319u, 320u, 65599u);
  const uint32_t timestamp = GENERATE(0u, 0xFFFFFEu, 0xFFFFFFu, 0xFFFFFFFFu);
  const size_t size = GENERATE(size_t{0}, size_t{1}, size_t{128}, size_t{1000}, size_t{70000});

  ingest::ChunkWriter writer;
  writer.set_chunk_size(chunk_size);
  Bytes bytes;
  if (chunk_size != 128) append(bytes, set_chunk_size_message(chunk_size));
  const Bytes payload = counting_payload(size, 7);
  writer.write(csid, msg::kVideo, timestamp, 0x01020304, payload, bytes);

  INFO("chunk size " << chunk_size << ", csid " << csid << ", timestamp " << timestamp << ", size "
                     << size);
  check_messages(read_all(bytes), {{csid, msg::kVideo, timestamp, 0x01020304, payload}});
}

TEST_CASE("ChunkReader interleaves chunk streams", "[ingest][rtmp][chunk]") {
  ingest::ChunkWriter writer;
  const Bytes video = counting_payload(300, 1);
  const Bytes audio = counting_payload(200, 100);
  const auto video_chunks = chunks_of(written(writer, 6, msg::kVideo, 40, 1, video), 128, false);
  const auto audio_chunks = chunks_of(written(writer, 4, msg::kAudio, 23, 1, audio), 128, false);
  REQUIRE(video_chunks.size() == 3);
  REQUIRE(audio_chunks.size() == 2);

  Bytes bytes;
  append(bytes, video_chunks[0]);
  append(bytes, audio_chunks[0]);
  append(bytes, video_chunks[1]);
  append(bytes, audio_chunks[1]);
  append(bytes, video_chunks[2]);

  // Messages come out in the order they complete.
  check_messages(read_all(bytes), {
                                      {4, msg::kAudio, 23, 1, audio},
                                      {6, msg::kVideo, 40, 1, video},
                                  });
}

TEST_CASE("ChunkReader applies Set Chunk Size to the rest of the same buffer",
          "[ingest][rtmp][chunk]") {
  ingest::ChunkWriter writer;
  const Bytes first = counting_payload(200, 1);
  const Bytes second = counting_payload(200, 2);

  Bytes bytes = written(writer, 4, msg::kAudio, 0, 1, first);
  append(bytes, set_chunk_size_message(64));
  writer.set_chunk_size(64);
  append(bytes, written(writer, 4, msg::kAudio, 10, 1, second));

  ingest::ChunkReader reader(kMaxMessage);
  CHECK(reader.chunk_size() == 128);
  std::vector<ingest::RtmpMessage> out;
  auto consumed = reader.feed(bytes, out);
  REQUIRE(consumed.ok());
  CHECK(*consumed == bytes.size());
  CHECK(reader.chunk_size() == 64);
  // The Set Chunk Size message itself is not handed out.
  check_messages(out, {
                          {4, msg::kAudio, 0, 1, first},
                          {4, msg::kAudio, 10, 1, second},
                      });
}

TEST_CASE("ChunkReader accepts Set Chunk Size up to its limits", "[ingest][rtmp][chunk]") {
  ingest::ChunkReader reader(kMaxMessage);
  std::vector<ingest::RtmpMessage> out;
  auto consumed = reader.feed(set_chunk_size_message(kMaxMessage), out);
  REQUIRE(consumed.ok());
  CHECK(reader.chunk_size() == kMaxMessage);

  consumed = reader.feed(set_chunk_size_message(1), out);
  REQUIRE(consumed.ok());
  CHECK(reader.chunk_size() == 1);
  CHECK(out.empty());
}

TEST_CASE("ChunkReader reads extended timestamps", "[ingest][rtmp][chunk]") {
  SECTION("on type 0 and on the type 3 continuation chunks") {
    Bytes bytes;
    append(bytes, set_chunk_size_message(2));
    append(bytes, {0x05, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x05, 0x09, 0x01, 0x00, 0x00, 0x00});
    append(bytes, {0x12, 0x34, 0x56, 0x78, 0x01, 0x02});
    append(bytes, {0xC5, 0x12, 0x34, 0x56, 0x78, 0x03, 0x04});
    append(bytes, {0xC5, 0x12, 0x34, 0x56, 0x78, 0x05});
    check_messages(read_all(bytes), {{5, msg::kVideo, 0x12345678, 1, {1, 2, 3, 4, 5}}});
  }

  SECTION("as a type 1 delta, reused by type 3 starting a message") {
    Bytes bytes;
    append(bytes, {0x05, 0x00, 0x00, 0x0A, 0x00, 0x00, 0x01, 0x09, 0x01, 0x00, 0x00, 0x00, 0xAA});
    append(bytes, {0x45, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x01, 0x09, 0x01, 0x00, 0x00, 0x00, 0xBB});
    append(bytes, {0xC5, 0x01, 0x00, 0x00, 0x00, 0xCC});
    check_messages(read_all(bytes), {
                                        {5, msg::kVideo, 10, 1, {0xAA}},
                                        {5, msg::kVideo, 10 + 0x01000000, 1, {0xBB}},
                                        {5, msg::kVideo, 10 + 2 * 0x01000000, 1, {0xCC}},
                                    });
  }

  SECTION("a later short header stops the extended field on type 3") {
    Bytes bytes;
    append(bytes, {0x05, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x01, 0x09, 0x00, 0x00, 0x00, 0x00});
    append(bytes, {0x01, 0x00, 0x00, 0x00, 0xAA});
    append(bytes, {0x85, 0x00, 0x00, 0x05, 0xBB});
    append(bytes, {0xC5, 0xCC});  // no extended field any more: delta 5 again
    check_messages(read_all(bytes), {
                                        {5, msg::kVideo, 0x01000000, 0, {0xAA}},
                                        {5, msg::kVideo, 0x01000005, 0, {0xBB}},
                                        {5, msg::kVideo, 0x0100000A, 0, {0xCC}},
                                    });
  }
}

TEST_CASE("ChunkReader accumulates deltas with 32-bit wrap-around", "[ingest][rtmp][chunk]") {
  Bytes bytes;
  append(bytes, {0x06, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00});
  append(bytes, {0xFF, 0xFF, 0xFF, 0xF0, 0x01});
  append(bytes, {0x86, 0x00, 0x00, 0x20, 0x02});
  append(bytes, {0xC6, 0x03});
  check_messages(read_all(bytes), {
                                      {6, msg::kAudio, 0xFFFFFFF0, 0, {0x01}},
                                      {6, msg::kAudio, 0x10, 0, {0x02}},
                                      {6, msg::kAudio, 0x30, 0, {0x03}},
                                  });
}

TEST_CASE("ChunkReader reads 2- and 3-byte basic headers", "[ingest][rtmp][chunk]") {
  Bytes bytes;
  // csid 100 = 64 + 36, then csid 1000 = 64 + 0x03A8 (low byte first).
  append(bytes, {0x00, 36, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x14, 0x00, 0x00, 0x00, 0x00, 0x11});
  append(bytes, {0x01, 0xA8, 0x03, 0x00, 0x00, 0x02, 0x00, 0x00, 0x01, 0x12, 0x00, 0x00, 0x00, 0x00,
                 0x22});
  append(bytes, {0xC1, 0xA8, 0x03, 0x33});  // fmt 3 in the 3-byte form
  append(bytes, {0x01, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0, 0, 0, 0, 0x44});
  check_messages(read_all(bytes), {
                                      {100, msg::kCommandAmf0, 1, 0, {0x11}},
                                      {1000, msg::kDataAmf0, 2, 0, {0x22}},
                                      {1000, msg::kDataAmf0, 4, 0, {0x33}},
                                      {65599, msg::kAudio, 0, 0, {0x44}},
                                  });
}

TEST_CASE("ChunkReader Abort drops the unfinished message", "[ingest][rtmp][chunk]") {
  ingest::ChunkWriter writer;
  const auto big =
      chunks_of(written(writer, 6, msg::kVideo, 10, 1, counting_payload(300)), 128, false);
  Bytes bytes = big[0];
  append(bytes, abort_message(6));
  // After the abort the stream's header is still known, so a type 1 header may follow.
  append(bytes, {0x46, 0x00, 0x00, 0x05, 0x00, 0x00, 0x02, 0x09, 0xAB, 0xCD});

  ingest::ChunkReader reader(kMaxMessage);
  std::vector<ingest::RtmpMessage> out;
  auto consumed = reader.feed(bytes, out);
  REQUIRE(consumed.ok());
  CHECK(*consumed == bytes.size());
  check_messages(out, {{6, msg::kVideo, 15, 1, {0xAB, 0xCD}}});

  SECTION("continuing the aborted message afterwards is a fresh message") {
    // The old continuation chunk now starts a message of the stored length (2).
    out.clear();
    consumed = reader.feed(Bytes{0xC6, 0x01, 0x02}, out);
    REQUIRE(consumed.ok());
    check_messages(out, {{6, msg::kVideo, 20, 1, {0x01, 0x02}}});
  }
  SECTION("aborting an idle or unknown chunk stream is harmless") {
    out.clear();
    Bytes more = abort_message(6);
    append(more, abort_message(77));
    consumed = reader.feed(more, out);
    REQUIRE(consumed.ok());
    CHECK(*consumed == more.size());
    CHECK(out.empty());
  }
}

TEST_CASE("ChunkReader hands out other control messages", "[ingest][rtmp][chunk]") {
  ingest::ChunkWriter writer;
  Bytes bytes =
      written(writer, 2, msg::kWindowAckSize, 0, 0, ingest::window_ack_size_payload(5000));
  append(bytes, written(writer, 2, msg::kUserControl, 0, 0,
                        ingest::user_control_payload(ingest::user_control::kPingResponse, 9)));
  const auto out = read_all(bytes);
  REQUIRE(out.size() == 2);
  CHECK(out[0].type_id == msg::kWindowAckSize);
  CHECK(out[1].type_id == msg::kUserControl);
  CHECK(payload_of(out[1]) == Bytes{0x00, 0x07, 0x00, 0x00, 0x00, 0x09});
}

TEST_CASE("ChunkReader consumes whole chunks only", "[ingest][rtmp][chunk]") {
  ingest::ChunkWriter writer;
  const Bytes bytes = written(writer, 4, msg::kAudio, 0, 1, counting_payload(200));
  ingest::ChunkReader reader(kMaxMessage);
  std::vector<ingest::RtmpMessage> out;

  auto consumed = reader.feed(std::span(bytes).first(12 + 127), out);
  REQUIRE(consumed.ok());
  CHECK(*consumed == 0);

  consumed = reader.feed(std::span(bytes).first(12 + 128 + 1 + 10), out);
  REQUIRE(consumed.ok());
  CHECK(*consumed == 12 + 128);
  CHECK(out.empty());

  consumed = reader.feed(std::span(bytes).subspan(12 + 128), out);
  REQUIRE(consumed.ok());
  CHECK(*consumed == 1 + 72);
  REQUIRE(out.size() == 1);
  CHECK(payload_of(out[0]) == counting_payload(200));

  consumed = reader.feed({}, out);
  REQUIRE(consumed.ok());
  CHECK(*consumed == 0);
}

TEST_CASE("ChunkReader gives the same messages however the input is split",
          "[ingest][rtmp][chunk]") {
  ingest::ChunkWriter writer;
  Bytes bytes;
  append(bytes, written(writer, 3, msg::kCommandAmf0, 0, 0, counting_payload(150, 3)));
  const auto video = chunks_of(
      written(writer, 6, msg::kVideo, 0xFFFFFF00, 1, counting_payload(260, 9)), 128, true);
  const auto audio =
      chunks_of(written(writer, 4, msg::kAudio, 5, 1, counting_payload(140)), 128, false);
  append(bytes, video[0]);
  append(bytes, audio[0]);
  append(bytes, video[1]);
  append(bytes, audio[1]);
  append(bytes, video[2]);
  append(bytes, set_chunk_size_message(50));
  writer.set_chunk_size(50);
  append(bytes, written(writer, 6, msg::kVideo, 0x01000000, 1, counting_payload(120, 1)));
  // fmt 1: delta 33, 2 bytes; the extended field is gone from here on.
  append(bytes, {0x46, 0x00, 0x00, 0x21, 0x00, 0x00, 0x02, 0x09, 0x00, 0x01});
  append(bytes, {0xC6, 0x02, 0x03});  // fmt 3: next message, same delta
  append(bytes,
         chunks_of(written(writer, 4, msg::kAudio, 60, 1, counting_payload(110)), 50, false)[0]);
  append(bytes, abort_message(4));
  append(bytes, written(writer, 1000, msg::kDataAmf0, 7, 1, counting_payload(70, 4)));
  append(bytes, written(writer, 100, msg::kAudio, 8, 1, {}));

  const auto whole = read_all(bytes);
  REQUIRE(whole.size() == 8);
  CHECK(whole[4].timestamp == 0x01000021);
  CHECK(whole[5].timestamp == 0x01000042);

  const auto compare = [&](const std::vector<ingest::RtmpMessage>& got) {
    REQUIRE(got.size() == whole.size());
    for (size_t i = 0; i < got.size(); ++i) {
      CHECK(got[i].chunk_stream_id == whole[i].chunk_stream_id);
      CHECK(got[i].type_id == whole[i].type_id);
      CHECK(got[i].timestamp == whole[i].timestamp);
      CHECK(got[i].stream_id == whole[i].stream_id);
      CHECK(got[i].payload == whole[i].payload);
    }
  };

  // Reads the way a socket reader does: keeps what was not consumed and
  // appends the next bytes to it.
  const auto read_in_pieces = [&](const std::vector<size_t>& cuts) {
    ingest::ChunkReader reader(kMaxMessage);
    std::vector<ingest::RtmpMessage> out;
    Bytes pending;
    size_t from = 0;
    for (size_t cut : cuts) {
      pending.insert(pending.end(), bytes.begin() + static_cast<ptrdiff_t>(from),
                     bytes.begin() + static_cast<ptrdiff_t>(cut));
      from = cut;
      auto consumed = reader.feed(pending, out);
      REQUIRE(consumed.ok());
      REQUIRE(*consumed <= pending.size());
      pending.erase(pending.begin(), pending.begin() + static_cast<ptrdiff_t>(*consumed));
    }
    CHECK(pending.empty());
    return out;
  };

  for (size_t split = 0; split <= bytes.size(); ++split) {
    INFO("split at " << split);
    compare(read_in_pieces({split, bytes.size()}));
  }

  std::vector<size_t> every_byte(bytes.size());
  std::iota(every_byte.begin(), every_byte.end(), size_t{1});
  compare(read_in_pieces(every_byte));
}

TEST_CASE("ChunkReader refuses malformed input", "[ingest][rtmp][chunk]") {
  SECTION("message longer than the limit") {
    const Bytes bytes = {0x04, 0, 0, 0, 0x00, 0x03, 0xE9, 0x08, 0, 0, 0, 0};
    CHECK_THAT(read_error(bytes, 1000), Catch::Contains("1001 bytes exceeds the limit of 1000"));
    // Exactly the limit is fine: only the header is there, so nothing is consumed.
    ingest::ChunkReader reader(1001);
    std::vector<ingest::RtmpMessage> out;
    auto consumed = reader.feed(bytes, out);
    REQUIRE(consumed.ok());
    CHECK(*consumed == 0);
  }
  SECTION("type 1 header on a fresh chunk stream") {
    CHECK_THAT(read_error({0x44, 0, 0, 1, 0, 0, 1, 8, 0xAA}),
               Catch::Contains("without an earlier format 0 header"));
  }
  SECTION("type 2 header on a fresh chunk stream") {
    CHECK_THAT(read_error({0x84, 0, 0, 1, 0xAA}),
               Catch::Contains("chunk stream 4: header of format 2"));
  }
  SECTION("type 3 header on a fresh chunk stream") {
    CHECK_THAT(read_error({0xC4, 0xAA}), Catch::Contains("header of format 3"));
  }
  SECTION("type 3 header on a chunk stream only other streams used") {
    Bytes bytes = {0x04, 0, 0, 0, 0, 0, 1, 8, 0, 0, 0, 0, 0xAA};
    append(bytes, {0xC5, 0xBB});
    CHECK_THAT(read_error(bytes), Catch::Contains("chunk stream 5"));
  }
  SECTION("message length changed in the middle of a message") {
    Bytes bytes = {0x04, 0, 0, 0, 0x00, 0x01, 0x2C, 8, 0, 0, 0, 0};
    append(bytes, counting_payload(128));
    append(bytes, {0x44, 0, 0, 0, 0x00, 0x00, 0xC8, 8});
    CHECK_THAT(read_error(bytes), Catch::Contains("length changed from 300 to 200"));
  }
  SECTION("new message header before the message finished") {
    Bytes bytes = {0x04, 0, 0, 0, 0x00, 0x01, 0x2C, 8, 0, 0, 0, 0};
    append(bytes, counting_payload(128));
    append(bytes, {0x84, 0, 0, 0});
    CHECK_THAT(read_error(bytes), Catch::Contains("after 128 of 300 bytes"));
  }
  SECTION("Set Chunk Size of 0") {
    CHECK_THAT(read_error(set_chunk_size_message(0)),
               Catch::Contains("Set Chunk Size 0 is outside"));
  }
  SECTION("Set Chunk Size with the top bit set") {
    CHECK_THAT(read_error(raw_set_chunk_size_message({0x80, 0x00, 0x10, 0x00})),
               Catch::Contains("Set Chunk Size 2147487744"));
  }
  SECTION("Set Chunk Size above the message limit") {
    CHECK_THAT(read_error(set_chunk_size_message(1001), 1000),
               Catch::Contains("Set Chunk Size 1001 is outside 1..1000"));
  }
  SECTION("Set Chunk Size above 16 MiB") {
    CHECK_THAT(read_error(set_chunk_size_message(0x7FFFFFFF), 0xFFFFFF),
               Catch::Contains("is outside 1..16777215"));
    CHECK_THAT(read_error(set_chunk_size_message(16 * 1024 * 1024 + 1), 64 * 1024 * 1024),
               Catch::Contains("is outside 1..16777216"));
  }
  SECTION("Set Chunk Size too short") {
    CHECK_THAT(read_error(raw_set_chunk_size_message({0x00, 0x10, 0x00})),
               Catch::Contains("Set Chunk Size message of 3 bytes"));
  }
  SECTION("Abort too short") {
    ingest::ChunkWriter writer;
    CHECK_THAT(read_error(written(writer, 2, msg::kAbort, 0, 0, {})),
               Catch::Contains("Abort message of 0 bytes"));
  }
  SECTION("too many unfinished messages") {
    Bytes bytes;
    for (uint8_t csid = 3; csid < 8; ++csid) {
      append(bytes, {csid, 0, 0, 0, 0x00, 0x03, 0xE8, 8, 0, 0, 0, 0});  // 1000 bytes each
      append(bytes, counting_payload(128));
    }
    CHECK_THAT(read_error(bytes, 1000), Catch::Contains("unfinished messages"));
    // Four unfinished messages of the maximum size are still allowed.
    bytes.resize(4 * (12 + 128));
    read_all(bytes, 1000);
  }
  SECTION("the error comes with the chunk, not later") {
    ingest::ChunkReader reader(kMaxMessage);
    std::vector<ingest::RtmpMessage> out;
    Bytes bytes = {0x04, 0, 0, 0, 0, 0, 1, 8, 0, 0, 0, 0, 0xAA};
    append(bytes, {0xC9, 0xBB});
    auto consumed = reader.feed(bytes, out);
    REQUIRE_FALSE(consumed.ok());
    CHECK(out.size() == 1);  // what came before the bad chunk is still delivered
  }
}

TEST_CASE("a message header announcing megabytes reserves memory for the bytes sent only",
          "[ingest][chunk]") {
  constexpr uint32_t kEightMiB = 8 * 1024 * 1024;
  ingest::ChunkReader reader(kEightMiB);
  std::vector<ingest::RtmpMessage> out;
  // Four unfinished 8 MiB video messages, on four chunk streams, 128 bytes each.
  Bytes wire;
  for (uint8_t csid = 3; csid < 7; ++csid) {
    append(wire, {csid, 0, 0, 0, 0x80, 0, 0, msg::kVideo, 0, 0, 0, 0});
    append(wire, counting_payload(128));
  }
  auto consumed = reader.feed(wire, out);
  REQUIRE(consumed);
  CHECK(consumed.value() == wire.size());
  CHECK(out.empty());
  CHECK(reader.reserved_bytes() <= 4 * 64 * 1024);

  // The messages still arrive whole when their bytes do.
  Bytes rest;
  for (uint8_t csid = 3; csid < 4; ++csid) {
    for (uint32_t sent = 128; sent < kEightMiB; sent += 128) {
      append(rest, {uint8_t(0xC0 | csid)});
      append(rest, counting_payload(128));
    }
  }
  consumed = reader.feed(rest, out);
  REQUIRE(consumed);
  REQUIRE(out.size() == 1);
  CHECK(out[0].payload.size() == kEightMiB);
  CHECK(out[0].chunk_stream_id == 3);
}

TEST_CASE("only audio, video and aggregates may be larger than 64 KiB", "[ingest][chunk]") {
  constexpr uint32_t kEightMiB = 8 * 1024 * 1024;
  // A command announcing 8 MiB (the start of an AMF0 decoding bomb) ends the
  // connection at its header.
  for (uint8_t type : {msg::kCommandAmf0, msg::kDataAmf0, msg::kCommandAmf3, msg::kUserControl,
                       msg::kWindowAckSize, uint8_t{0x30}}) {
    INFO("type " << int{type});
    CHECK_THAT(read_error({0x03, 0, 0, 0, 0x7F, 0xFF, 0xFF, type, 0, 0, 0, 0}, kEightMiB),
               Catch::Contains("exceeds the limit of 65536"));
    // 64 KiB itself is fine: only the header is there, so nothing is consumed yet.
    ingest::ChunkReader reader(kEightMiB);
    std::vector<ingest::RtmpMessage> out;
    const Bytes at_limit{0x03, 0, 0, 0, 0x01, 0x00, 0x00, type, 0, 0, 0, 0};
    REQUIRE(reader.feed(at_limit, out).ok());
  }
  for (uint8_t type : {msg::kAudio, msg::kVideo, msg::kAggregate}) {
    ingest::ChunkReader reader(kEightMiB);
    std::vector<ingest::RtmpMessage> out;
    const Bytes header{0x03, 0, 0, 0, 0x7F, 0xFF, 0xFF, type, 0, 0, 0, 0};
    CHECK(reader.feed(header, out).ok());
  }
}

TEST_CASE("a connection may use 64 chunk streams", "[ingest][chunk]") {
  // Zero-length messages on fresh chunk streams (3-byte basic headers): each
  // would otherwise leave an entry behind.
  Bytes wire;
  for (uint32_t csid = 64; csid < 64 + 64; ++csid) {
    append(wire, {0x01, uint8_t(csid - 64), uint8_t((csid - 64) >> 8)});
    append(wire, {0, 0, 0, 0, 0, 0, msg::kAudio, 0, 0, 0, 0});
  }
  CHECK(read_all(wire).size() == 64);
  append(wire, {0x01, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, msg::kAudio, 0, 0, 0, 0});
  CHECK_THAT(read_error(wire), Catch::Contains("more than 64 chunk streams"));
}

TEST_CASE("ChunkReader holds large media back until the client asks to publish",
          "[ingest][rtmp][chunk]") {
  ingest::ChunkWriter writer;
  const Bytes command = counting_payload(300);
  const Bytes keyframe = counting_payload(200 * 1024);
  Bytes bytes;
  writer.write(3, msg::kCommandAmf0, 0, 1, command, bytes);
  const size_t command_end = bytes.size();
  writer.write(6, msg::kVideo, 40, 1, keyframe, bytes);

  ingest::ChunkReader reader(kMaxMessage);
  reader.hold_back_large_media(true);
  std::vector<ingest::RtmpMessage> out;
  // It stops after the command, so the caller can handle a publish first.
  auto consumed = reader.feed(bytes, out);
  REQUIRE(consumed.ok());
  CHECK(*consumed == command_end);
  REQUIRE(out.size() == 1);
  CHECK(payload_of(out[0]) == command);
  const Bytes rest(bytes.begin() + std::ptrdiff_t(command_end), bytes.end());
  SECTION("not publishing: a message over 64 KiB ends the connection") {
    auto refused = reader.feed(rest, out);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.find("exceeds the limit of 65536") != std::string::npos);
  }
  SECTION("publishing: the keyframe is read whole") {
    reader.hold_back_large_media(false);
    out.clear();
    auto read = reader.feed(rest, out);
    REQUIRE(read.ok());
    CHECK(*read == rest.size());
    REQUIRE(out.size() == 1);
    CHECK(payload_of(out[0]) == keyframe);
  }
}

// Receive batching asks the kernel to wake the server after this many bytes:
// a message must never be complete sooner, and once its header is in, it is
// complete exactly then.
TEST_CASE("ChunkReader says how many bytes are still to come before a message is whole",
          "[ingest][rtmp][chunk]") {
  ingest::ChunkWriter writer;
  Bytes bytes;
  append(bytes, written(writer, 3, msg::kCommandAmf0, 0, 0, counting_payload(150, 3)));
  append(bytes, written(writer, 6, msg::kVideo, 0xFFFFFF00, 1, counting_payload(300, 9)));
  append(bytes, written(writer, 4, msg::kAudio, 5, 1, counting_payload(140)));
  // Set Chunk Size is applied, not handed out: no message is whole at its end.
  const size_t control_from = bytes.size();
  append(bytes, set_chunk_size_message(50));
  const size_t control_to = bytes.size();
  writer.set_chunk_size(50);
  append(bytes, written(writer, 1000, msg::kDataAmf0, 7, 1, counting_payload(170, 4)));
  append(bytes, written(writer, 100, msg::kAudio, 8, 1, counting_payload(60)));
  // fmt 1 (delta 33, 60 bytes) and fmt 3 starting the next message with the same length.
  const Bytes sixty = counting_payload(60, 7);
  append(bytes, {0x46, 0x00, 0x00, 0x21, 0x00, 0x00, 0x3C, 0x09});
  bytes.insert(bytes.end(), sixty.begin(), sixty.begin() + 50);
  append(bytes, {0xC6});
  bytes.insert(bytes.end(), sixty.begin() + 50, sixty.end());
  append(bytes, {0xC6});
  bytes.insert(bytes.end(), sixty.begin(), sixty.begin() + 50);
  append(bytes, {0xC6});
  bytes.insert(bytes.end(), sixty.begin() + 50, sixty.end());
  REQUIRE(read_all(bytes).size() == 7);

  // A reader fed bytes[0, upto) the way the socket reader feeds it.
  struct Fed {
    ingest::ChunkReader reader{kMaxMessage};
    std::vector<ingest::RtmpMessage> out;
    Bytes pending;
  };
  const auto feed = [&](Fed& fed, size_t from, size_t to) {
    fed.pending.insert(fed.pending.end(), bytes.begin() + static_cast<ptrdiff_t>(from),
                       bytes.begin() + static_cast<ptrdiff_t>(to));
    auto consumed = fed.reader.feed(fed.pending, fed.out);
    REQUIRE(consumed.ok());
    fed.pending.erase(fed.pending.begin(), fed.pending.begin() + static_cast<ptrdiff_t>(*consumed));
  };

  size_t exact = 0;
  for (size_t at = 0; at < bytes.size(); ++at) {
    INFO("after " << at << " bytes");
    Fed fed;
    feed(fed, 0, at);
    const size_t before = fed.out.size();
    const size_t needed = fed.reader.bytes_to_finish_message(fed.pending);
    REQUIRE(needed >= 1);
    REQUIRE(at + needed <= bytes.size());
    feed(fed, at, at + needed - 1);
    CHECK(fed.out.size() == before);  // never whole sooner
    if (needed == 1) continue;        // between messages, or a header not in yet
    if (at >= control_from && at < control_to) continue;
    feed(fed, at + needed - 1, at + needed);
    CHECK(fed.out.size() == before + 1);  // whole exactly then
    ++exact;
  }
  // Known from the first chunk's header on: the 300-byte video message in
  // 128-byte chunks with extended timestamps takes 12 + 4 + 128, then 1 + 4 +
  // 128 and 1 + 4 + 44 bytes.
  Fed fed;
  const size_t command = 12 + 128 + 1 + 22;
  feed(fed, 0, command);
  REQUIRE(fed.out.size() == 1);
  feed(fed, command, command + 16);  // its header and extended timestamp
  CHECK(fed.reader.bytes_to_finish_message(fed.pending) == 326 - 16);
  CHECK(exact > bytes.size() * 3 / 4);
}
