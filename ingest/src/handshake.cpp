#include "handshake.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace looplive::ingest {
namespace {

constexpr uint8_t kRtmpVersion = 3;
constexpr uint8_t kRtmpeVersion = 6;
constexpr size_t kDigestSize = 32;
// Where the digest may sit in a 1536-byte packet: four bytes at `base` sum to
// an offset into a 728-byte window that starts right after them.
constexpr size_t kSchemaBases[] = {8, 772};
constexpr size_t kOffsetWindow = 728;

// Version we announce in S1. Clients only look at it to decide whether the
// server speaks the digest handshake: librtmp falls back to the plain form
// when byte 4 is zero and FFmpeg checks the digest only when it is >= 3.
constexpr std::array<uint8_t, 4> kServerVersion = {0x04, 0x05, 0x00, 0x01};

using Digest = std::array<uint8_t, kDigestSize>;

// Both well-known keys are a text followed by the same 32 bytes; only a prefix
// of each is used to sign C1/S1, the whole key to derive the S2 signature key.
constexpr std::array<uint8_t, 32> kKeyTail = {
    0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8, 0x2E, 0x00, 0xD0, 0xD1, 0x02, 0x9E, 0x7E, 0x57,
    0x6E, 0xEC, 0x5D, 0x2D, 0x29, 0x80, 0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE};
constexpr std::string_view kClientKeyText = "Genuine Adobe Flash Player 001";
constexpr std::string_view kServerKeyText = "Genuine Adobe Flash Media Server 001";
static_assert(kClientKeyText.size() == 30 && kServerKeyText.size() == 36);

template <size_t N>
constexpr std::array<uint8_t, N + kKeyTail.size()> make_key(std::string_view text) {
  std::array<uint8_t, N + kKeyTail.size()> key{};
  for (size_t i = 0; i < N; ++i) key[i] = static_cast<uint8_t>(text[i]);
  for (size_t i = 0; i < kKeyTail.size(); ++i) key[N + i] = kKeyTail[i];
  return key;
}

constexpr auto kClientKey = make_key<30>(kClientKeyText);
constexpr auto kServerKey = make_key<36>(kServerKeyText);

core::Result<Digest> hmac_sha256(std::span<const uint8_t> key, std::span<const uint8_t> data) {
  Digest digest{};
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(),
           digest.data(), &length) == nullptr ||
      length != digest.size()) {
    return core::Error{"handshake: HMAC-SHA256 failed"};
  }
  return digest;
}

size_t digest_offset(std::span<const uint8_t> packet, size_t schema) {
  const size_t base = kSchemaBases[schema];
  const size_t sum = size_t{packet[base]} + packet[base + 1] + packet[base + 2] + packet[base + 3];
  return base + 4 + sum % kOffsetWindow;
}

// The digest covers the whole packet except the 32 bytes it is stored in.
core::Result<Digest> packet_digest(std::span<const uint8_t> packet, size_t offset,
                                   std::span<const uint8_t> key) {
  std::array<uint8_t, kHandshakePacketSize - kDigestSize> rest;
  std::copy_n(packet.begin(), offset, rest.begin());
  std::copy(packet.begin() + static_cast<ptrdiff_t>(offset + kDigestSize), packet.end(),
            rest.begin() + static_cast<ptrdiff_t>(offset));
  return hmac_sha256(key, rest);
}

struct ClientDigest {
  size_t schema = 0;
  Digest digest{};
};

// A plain C1 is random past byte 8, so a digest matching by chance is out of
// the question; trying both schemas is how every server tells the forms apart.
core::Result<std::optional<ClientDigest>> find_client_digest(std::span<const uint8_t> c1) {
  const auto signing_key = std::span<const uint8_t>(kClientKey).first(kClientKeyText.size());
  for (size_t schema = 0; schema < std::size(kSchemaBases); ++schema) {
    const size_t offset = digest_offset(c1, schema);
    auto expected = packet_digest(c1, offset, signing_key);
    if (!expected) return expected.error();
    if (CRYPTO_memcmp(expected->data(), c1.data() + offset, kDigestSize) == 0) {
      ClientDigest found{schema, {}};
      std::copy_n(c1.begin() + static_cast<ptrdiff_t>(offset), kDigestSize, found.digest.begin());
      return std::optional<ClientDigest>(found);
    }
  }
  return std::optional<ClientDigest>();
}

core::Status fill_random(std::span<uint8_t> bytes) {
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return core::Error{"handshake: no random bytes available"};
  }
  return core::Ok{};
}

void put_u32be(uint32_t value, uint8_t* out) {
  out[0] = static_cast<uint8_t>(value >> 24);
  out[1] = static_cast<uint8_t>(value >> 16);
  out[2] = static_cast<uint8_t>(value >> 8);
  out[3] = static_cast<uint8_t>(value);
}

uint32_t uptime_ms() {
  const auto now = std::chrono::steady_clock::now().time_since_epoch();
  return static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
}

}  // namespace

core::Result<HandshakeAnswer> answer_handshake(std::span<const uint8_t> c0c1) {
  if (c0c1.size() != 1 + kHandshakePacketSize) {
    return core::Error{"handshake: expected C0+C1 of " + std::to_string(1 + kHandshakePacketSize) +
                       " bytes, got " + std::to_string(c0c1.size())};
  }
  const uint8_t version = c0c1[0];
  if (version == kRtmpeVersion) {
    return core::Error{"handshake: encrypted RTMP (RTMPE, version 6) is not supported"};
  }
  if (version != kRtmpVersion) {
    return core::Error{"handshake: unsupported RTMP version " + std::to_string(version)};
  }
  const auto c1 = c0c1.subspan(1);

  auto client_digest = find_client_digest(c1);
  if (!client_digest) return client_digest.error();

  HandshakeAnswer answer;
  answer.s0s1s2.resize(1 + 2 * kHandshakePacketSize);
  answer.s0s1s2[0] = kRtmpVersion;
  const auto s1 = std::span<uint8_t>(answer.s0s1s2).subspan(1, kHandshakePacketSize);
  const auto s2 = std::span<uint8_t>(answer.s0s1s2).subspan(1 + kHandshakePacketSize);

  if (auto random = fill_random(s1.subspan(8)); !random) return random.error();
  put_u32be(uptime_ms(), s1.data());

  if (!client_digest->has_value()) {
    std::fill_n(s1.begin() + 4, 4, uint8_t{0});
    std::copy(c1.begin(), c1.end(), s2.begin());
    return answer;
  }

  // Clients find our digest with the schema they used themselves (librtmp
  // tries the other one only as a fallback), so S1 mirrors the client's.
  const ClientDigest& client = **client_digest;
  std::copy(kServerVersion.begin(), kServerVersion.end(), s1.begin() + 4);
  const size_t offset = digest_offset(s1, client.schema);
  auto s1_digest =
      packet_digest(s1, offset, std::span<const uint8_t>(kServerKey).first(kServerKeyText.size()));
  if (!s1_digest) return s1_digest.error();
  std::copy(s1_digest->begin(), s1_digest->end(), s1.begin() + static_cast<ptrdiff_t>(offset));

  const auto s2_body = s2.first(kHandshakePacketSize - kDigestSize);
  if (auto random = fill_random(s2_body); !random) return random.error();
  auto signing_key = hmac_sha256(kServerKey, client.digest);
  if (!signing_key) return signing_key.error();
  auto signature = hmac_sha256(*signing_key, s2_body);
  if (!signature) return signature.error();
  std::copy(signature->begin(), signature->end(),
            s2.begin() + static_cast<ptrdiff_t>(s2_body.size()));

  answer.complex = true;
  return answer;
}

}  // namespace looplive::ingest
