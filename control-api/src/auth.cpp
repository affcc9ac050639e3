#include "auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <stdexcept>

#include <boost/beast/core/string.hpp>

namespace looplive::control_api {

namespace {

std::array<unsigned char, 32> sha256(std::string_view text) {
  std::array<unsigned char, 32> digest{};
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != digest.size())
    throw std::runtime_error("SHA-256 failed");
  return digest;
}

}  // namespace

TokenSet::TokenSet(const std::vector<std::string>& tokens) {
  for (const auto& token : tokens)
    if (!token.empty()) digests_.push_back(sha256(token));
}

bool TokenSet::contains(std::string_view token) const {
  if (token.empty()) return false;
  const auto presented = sha256(token);
  // Every digest is compared, so the time says nothing about which one matched.
  int matches = 0;
  for (const auto& digest : digests_)
    matches |= CRYPTO_memcmp(presented.data(), digest.data(), digest.size()) == 0;
  return matches != 0;
}

std::string client_name(std::string_view token) {
  const auto digest = sha256(token);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string name = "t_";
  for (size_t i = 0; i < 8; ++i) {
    name += kHex[digest[i] >> 4];
    name += kHex[digest[i] & 0xf];
  }
  return name;
}

std::optional<std::string_view> bearer_token(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  while (!authorization.empty() && authorization.front() == ' ') authorization.remove_prefix(1);
  if (authorization.size() <= kScheme.size() ||
      !boost::beast::iequals(authorization.substr(0, kScheme.size()), kScheme))
    return std::nullopt;
  authorization.remove_prefix(kScheme.size());
  while (!authorization.empty() && authorization.front() == ' ') authorization.remove_prefix(1);
  while (!authorization.empty() && authorization.back() == ' ') authorization.remove_suffix(1);
  if (authorization.empty()) return std::nullopt;
  return authorization;
}

}  // namespace looplive::control_api
