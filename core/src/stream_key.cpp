#include "looplive/core/stream_key.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <stdexcept>

#include "looplive/core/base64url.hpp"

namespace looplive::core {

std::string generate_stream_key() {
  std::array<unsigned char, 32> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1)
    throw std::runtime_error("stream key: no randomness available");
  return "sk_" +
         base64url(std::string_view(reinterpret_cast<const char*>(random.data()), random.size()));
}

std::string hash_stream_key(std::string_view key) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest.data());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digest.size() * 2);
  for (unsigned char byte : digest) {
    out += kHex[byte >> 4];
    out += kHex[byte & 15];
  }
  return out;
}

std::string redact_key(std::string_view key) {
  constexpr size_t kShown = 6;
  if (key.size() <= kShown) return std::string(key.substr(0, 2)) + "…";
  return std::string(key.substr(0, kShown)) + "…";
}

}  // namespace looplive::core
