#include <catch2/catch.hpp>

#include <cstdint>
#include <numeric>
#include <vector>

#include "chunk_writer.hpp"

namespace ingest = looplive::ingest;

namespace {

using Bytes = std::vector<uint8_t>;

Bytes counting_payload(size_t size) {
  Bytes payload(size);
  std::iota(payload.begin(), payload.end(), uint8_t{0});
  return payload;
}

Bytes slice(const Bytes& bytes, size_t offset, size_t length) {
  return Bytes(bytes.begin() + static_cast<ptrdiff_t>(offset),
               bytes.begin() + static_cast<ptrdiff_t>(offset + length));
}

}  // namespace

TEST_CASE("ChunkWriter writes a small message as one type-0 chunk", "[ingest][rtmp][chunk]") {
  ingest::ChunkWriter writer;
  const Bytes payload = {0xAA, 0xBB, 0xCC};
  Bytes out = {0x42};  // what is already in the buffer must stay
  writer.write(3, 20, 0x010203, 0x04030201, payload, out);
  const Bytes expected = {0x42,
                          0x03,                    // fmt 0, csid 3
                          0x01, 0x02, 0x03,        // timestamp
                          0x00, 0x00, 0x03,        // length
                          20,                      // type
                          0x01, 0x02, 0x03, 0x04,  // stream id, little endian
                          0xAA, 0xBB, 0xCC};
  CHECK(out == expected);
}

TEST_CASE("ChunkWriter splits a message with type-3 continuation chunks", "[ingest][rtmp][chunk]") {
  ingest::ChunkWriter writer;
  const Bytes payload = counting_payload(300);
  Bytes out;
  writer.write(4, 9, 1000, 1, payload, out);
  // 12-byte header + 128, 1 + 128, 1 + 44.
  REQUIRE(out.size() == 12 + 128 + 1 + 128 + 1 + 44);
  CHECK(out[0] == 0x04);
  CHECK(slice(out, 4, 3) == Bytes{0x00, 0x01, 0x2C});  // 300
  CHECK(slice(out, 12, 128) == slice(payload, 0, 128));
  CHECK(out[140] == 0xC4);
  CHECK(slice(out, 141, 128) == slice(payload, 128, 128));
  CHECK(out[269] == 0xC4);
  CHECK(slice(out, 270, 44) == slice(payload, 256, 44));

  writer.set_chunk_size(100);
  CHECK(writer.chunk_size() == 100);
  out.clear();
  writer.write(4, 9, 1000, 1, payload, out);
  CHECK(out.size() == 12 + 300 + 2);
  CHECK(out[112] == 0xC4);
  CHECK(out[213] == 0xC4);
}

TEST_CASE("ChunkWriter payload that fills whole chunks adds no empty chunk",
          "[ingest][rtmp][chunk]") {
  ingest::ChunkWriter writer;
  Bytes out;
  writer.write(3, 8, 0, 1, counting_payload(256), out);
  CHECK(out.size() == 12 + 128 + 1 + 128);

  out.clear();
  writer.write(3, 8, 0, 1, {}, out);
  CHECK(out == Bytes{0x03, 0, 0, 0, 0, 0, 0, 8, 1, 0, 0, 0});
}

TEST_CASE("ChunkWriter repeats the extended timestamp on every chunk", "[ingest][rtmp][chunk]") {
  ingest::ChunkWriter writer;
  writer.set_chunk_size(2);
  Bytes out;
  writer.write(5, 8, 0x12345678, 0, Bytes{1, 2, 3, 4, 5}, out);
  const Bytes expected = {0x05, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x05, 0x08, 0,
                          0,    0,    0,    0x12, 0x34, 0x56, 0x78, 1,    2,  //
                          0xC5, 0x12, 0x34, 0x56, 0x78, 3,    4,              //
                          0xC5, 0x12, 0x34, 0x56, 0x78, 5};
  CHECK(out == expected);

  SECTION("0xFFFFFF itself already needs the extended field") {
    out.clear();
    writer.write(5, 8, 0xFFFFFF, 0, Bytes{1}, out);
    CHECK(out == Bytes{0x05, 0xFF, 0xFF, 0xFF, 0, 0, 1, 8, 0, 0, 0, 0, 0x00, 0xFF, 0xFF, 0xFF, 1});
  }
  SECTION("0xFFFFFE still fits the 3-byte field") {
    out.clear();
    writer.write(5, 8, 0xFFFFFE, 0, Bytes{1}, out);
    CHECK(out == Bytes{0x05, 0xFF, 0xFF, 0xFE, 0, 0, 1, 8, 0, 0, 0, 0, 1});
  }
}

TEST_CASE("ChunkWriter uses the shortest basic header for the chunk stream id",
          "[ingest][rtmp][chunk]") {
  ingest::ChunkWriter writer;
  writer.set_chunk_size(1);
  auto first_bytes = [&](uint32_t csid) {
    Bytes out;
    writer.write(csid, 8, 0, 0, Bytes{7, 8}, out);
    return out;
  };

  CHECK(first_bytes(2)[0] == 0x02);
  CHECK(first_bytes(63)[0] == 0x3F);

  Bytes out = first_bytes(64);
  CHECK(slice(out, 0, 2) == Bytes{0x00, 0x00});
  CHECK(slice(out, 13, 3) == Bytes{7, 0xC0, 0x00});  // continuation keeps the 2-byte form

  CHECK(slice(first_bytes(319), 0, 2) == Bytes{0x00, 0xFF});

  out = first_bytes(320);
  CHECK(slice(out, 0, 3) == Bytes{0x01, 0x00, 0x01});
  CHECK(slice(out, 14, 4) == Bytes{7, 0xC1, 0x00, 0x01});

  CHECK(slice(first_bytes(1000), 0, 3) == Bytes{0x01, 0xA8, 0x03});  // 1000 - 64 = 0x03A8
  CHECK(slice(first_bytes(65599), 0, 3) == Bytes{0x01, 0xFF, 0xFF});
}

TEST_CASE("Protocol control payloads are big-endian", "[ingest][rtmp][chunk]") {
  CHECK(ingest::set_chunk_size_payload(4096) == Bytes{0x00, 0x00, 0x10, 0x00});
  CHECK(ingest::set_chunk_size_payload(0xFFFFFFFF) == Bytes{0x7F, 0xFF, 0xFF, 0xFF});
  CHECK(ingest::window_ack_size_payload(2500000) == Bytes{0x00, 0x26, 0x25, 0xA0});
  CHECK(ingest::set_peer_bandwidth_payload(0x01020304, 2) == Bytes{0x01, 0x02, 0x03, 0x04, 0x02});
  CHECK(ingest::acknowledgement_payload(0xDEADBEEF) == Bytes{0xDE, 0xAD, 0xBE, 0xEF});
  CHECK(ingest::user_control_payload(ingest::user_control::kStreamBegin, 1) ==
        Bytes{0x00, 0x00, 0x00, 0x00, 0x00, 0x01});
  CHECK(ingest::user_control_payload(ingest::user_control::kPingResponse, 0x0A0B0C0D) ==
        Bytes{0x00, 0x07, 0x0A, 0x0B, 0x0C, 0x0D});
  CHECK(ingest::user_control_payload(0x1234, 0) == Bytes{0x12, 0x34, 0, 0, 0, 0});
}
