#pragma once

// What a test needs to check an RTMP handshake from the client's side: the
// Adobe keys, HMAC-SHA256 and where a digest lies in a packet.

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <iterator>
#include <string_view>
#include <vector>

#include "handshake.hpp"

namespace looplive::ingest::test {

using Bytes = std::vector<uint8_t>;
constexpr size_t kPacket = kHandshakePacketSize;

// The keys are spelled out here on purpose, apart from the implementation's
// copy, so a typo in one of them cannot make both sides agree.
inline Bytes key(std::string_view text) {
  static constexpr uint8_t kTail[] = {0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8,
                                      0x2E, 0x00, 0xD0, 0xD1, 0x02, 0x9E, 0x7E, 0x57,
                                      0x6E, 0xEC, 0x5D, 0x2D, 0x29, 0x80, 0x6F, 0xAB,
                                      0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE};
  Bytes out(text.begin(), text.end());
  out.insert(out.end(), std::begin(kTail), std::end(kTail));
  return out;
}
inline const Bytes kPlayerKey = key("Genuine Adobe Flash Player 001");        // 62 bytes
inline const Bytes kServerKey = key("Genuine Adobe Flash Media Server 001");  // 68 bytes
constexpr size_t kPlayerKeyText = 30;
constexpr size_t kServerKeyText = 36;

inline Bytes hmac(const Bytes& key_bytes, const uint8_t* data, size_t size) {
  Bytes out(32);
  unsigned int length = 0;
  REQUIRE(HMAC(EVP_sha256(), key_bytes.data(), static_cast<int>(key_bytes.size()), data, size,
               out.data(), &length) != nullptr);
  REQUIRE(length == 32);
  return out;
}

inline size_t digest_offset(const uint8_t* packet, int schema) {
  const size_t base = schema == 0 ? 8 : 772;
  return base + 4 +
         (size_t{packet[base]} + packet[base + 1] + packet[base + 2] + packet[base + 3]) % 728;
}

}  // namespace looplive::ingest::test
