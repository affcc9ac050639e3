#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "looplive/core/result.hpp"

namespace looplive::ingest {

constexpr size_t kHandshakePacketSize = 1536;  // C1, C2, S1, S2

// The server side of the RTMP handshake. Given C0+C1 (1 + 1536 bytes) it
// answers S0+S1+S2 (1 + 1536 + 1536 bytes). When C1 carries a valid digest
// ("complex" handshake, as Flash-era clients, librtmp and several encoders
// send, schema 0 or 1) S1 and S2 carry the digests those clients verify;
// otherwise S1 is random with zeros at bytes 4..7 and S2 echoes C1.
// C2 is read and ignored: clients differ in what they put there.
struct HandshakeAnswer {
  std::vector<uint8_t> s0s1s2;
  bool complex = false;
};

core::Result<HandshakeAnswer> answer_handshake(std::span<const uint8_t> c0c1);

}  // namespace looplive::ingest
