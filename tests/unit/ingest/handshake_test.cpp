#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "handshake.hpp"
#include "handshake_keys.hpp"

namespace ingest = looplive::ingest;

using namespace looplive::ingest::test;

namespace {

// HMAC over the packet without the 32 bytes at `offset`.
Bytes packet_digest(const uint8_t* packet, size_t offset, const Bytes& key_bytes) {
  Bytes rest(packet, packet + offset);
  rest.insert(rest.end(), packet + offset + 32, packet + kPacket);
  return hmac(key_bytes, rest.data(), rest.size());
}

Bytes random_bytes(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes out(size);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

Bytes plain_c0c1(uint32_t seed) {
  Bytes c0c1 = random_bytes(1 + kPacket, seed);
  c0c1[0] = 3;
  std::fill_n(c0c1.begin() + 5, 4, uint8_t{0});
  return c0c1;
}

// C0+C1 the way Flash Player, librtmp and FFmpeg sign it.
Bytes complex_c0c1(int schema, uint32_t seed) {
  Bytes c0c1 = random_bytes(1 + kPacket, seed);
  c0c1[0] = 3;
  uint8_t* c1 = c0c1.data() + 1;
  const uint8_t version[] = {10, 0, 45, 2};
  std::copy(std::begin(version), std::end(version), c1 + 4);
  const size_t offset = digest_offset(c1, schema);
  const Bytes signing_key(kPlayerKey.begin(), kPlayerKey.begin() + kPlayerKeyText);
  const Bytes digest = packet_digest(c1, offset, signing_key);
  std::copy(digest.begin(), digest.end(), c1 + offset);
  return c0c1;
}

void check_complex_answer(const Bytes& c0c1, const ingest::HandshakeAnswer& answer, int schema) {
  REQUIRE(answer.s0s1s2.size() == 1 + 2 * kPacket);
  CHECK(answer.complex);
  CHECK(answer.s0s1s2[0] == 3);
  const uint8_t* s1 = answer.s0s1s2.data() + 1;
  const uint8_t* s2 = s1 + kPacket;
  CHECK(s1[4] >= 3);  // FFmpeg only checks the digest of servers claiming version >= 3

  // S1 is signed with the server key at the client's schema.
  const size_t s1_offset = digest_offset(s1, schema);
  const Bytes server_signing_key(kServerKey.begin(), kServerKey.begin() + kServerKeyText);
  CHECK(packet_digest(s1, s1_offset, server_signing_key) ==
        Bytes(s1 + s1_offset, s1 + s1_offset + 32));
  // ...and not at the other one: a client trying schemas in order must not stop at a wrong match.
  const size_t other_offset = digest_offset(s1, 1 - schema);
  CHECK(packet_digest(s1, other_offset, server_signing_key) !=
        Bytes(s1 + other_offset, s1 + other_offset + 32));

  // S2 ends with an HMAC keyed by HMAC(full server key, client digest).
  const uint8_t* c1 = c0c1.data() + 1;
  const size_t c1_offset = digest_offset(c1, schema);
  const Bytes s2_key = hmac(kServerKey, c1 + c1_offset, 32);
  CHECK(hmac(s2_key, s2, kPacket - 32) == Bytes(s2 + kPacket - 32, s2 + kPacket));
  CHECK(Bytes(s2, s2 + kPacket) != Bytes(c1, c1 + kPacket));
}

}  // namespace

TEST_CASE("Plain handshake echoes C1 in S2", "[ingest][rtmp][handshake]") {
  const Bytes c0c1 = plain_c0c1(1);
  auto answer = ingest::answer_handshake(c0c1);
  REQUIRE(answer.ok());
  const Bytes& out = answer->s0s1s2;
  REQUIRE(out.size() == 1 + 2 * kPacket);
  CHECK_FALSE(answer->complex);
  CHECK(out[0] == 3);
  CHECK(Bytes(out.begin() + 5, out.begin() + 9) == Bytes{0, 0, 0, 0});
  CHECK(Bytes(out.begin() + 1 + kPacket, out.end()) == Bytes(c0c1.begin() + 1, c0c1.end()));

  // S1 is random: two answers differ past the time field.
  auto again = ingest::answer_handshake(c0c1);
  REQUIRE(again.ok());
  CHECK(Bytes(out.begin() + 9, out.begin() + 1 + kPacket) !=
        Bytes(again->s0s1s2.begin() + 9, again->s0s1s2.begin() + 1 + kPacket));
}

TEST_CASE("Plain handshake with version bytes but no digest stays plain",
          "[ingest][rtmp][handshake]") {
  Bytes c0c1 = plain_c0c1(2);
  c0c1[5] = 9;  // claims a Flash Player version without signing C1
  auto answer = ingest::answer_handshake(c0c1);
  REQUIRE(answer.ok());
  CHECK_FALSE(answer->complex);
  CHECK(Bytes(answer->s0s1s2.begin() + 1 + kPacket, answer->s0s1s2.end()) ==
        Bytes(c0c1.begin() + 1, c0c1.end()));
}

TEST_CASE("Digest handshake answers with signed S1 and S2", "[ingest][rtmp][handshake]") {
  const int schema = GENERATE(0, 1);
  const uint32_t seed = GENERATE(range(10u, 20u));
  INFO("schema " << schema << ", seed " << seed);
  const Bytes c0c1 = complex_c0c1(schema, seed);
  auto answer = ingest::answer_handshake(c0c1);
  REQUIRE(answer.ok());
  check_complex_answer(c0c1, *answer, schema);
}

TEST_CASE("Digest handshake with a corrupted digest falls back to plain",
          "[ingest][rtmp][handshake]") {
  Bytes c0c1 = complex_c0c1(0, 3);
  const size_t offset = digest_offset(c0c1.data() + 1, 0);
  c0c1[1 + offset + 5] ^= 0x01;
  auto answer = ingest::answer_handshake(c0c1);
  REQUIRE(answer.ok());
  CHECK_FALSE(answer->complex);
  CHECK(Bytes(answer->s0s1s2.begin() + 1 + kPacket, answer->s0s1s2.end()) ==
        Bytes(c0c1.begin() + 1, c0c1.end()));
}

TEST_CASE("Handshake refuses other versions and sizes", "[ingest][rtmp][handshake]") {
  Bytes c0c1 = plain_c0c1(4);
  SECTION("RTMPE") {
    c0c1[0] = 6;
    auto answer = ingest::answer_handshake(c0c1);
    REQUIRE_FALSE(answer.ok());
    CHECK_THAT(answer.error().message, Catch::Contains("RTMPE"));
  }
  SECTION("other versions") {
    for (int version : {0, 1, 2, 4, 8, 31, 255}) {
      c0c1[0] = static_cast<uint8_t>(version);
      auto answer = ingest::answer_handshake(c0c1);
      REQUIRE_FALSE(answer.ok());
      CHECK_THAT(answer.error().message,
                 Catch::Contains("unsupported RTMP version " + std::to_string(version)));
    }
  }
  SECTION("wrong length") {
    CHECK_FALSE(ingest::answer_handshake(std::span(c0c1).first(1536)).ok());
    c0c1.push_back(0);
    CHECK_FALSE(ingest::answer_handshake(c0c1).ok());
    CHECK_FALSE(ingest::answer_handshake({}).ok());
  }
}
