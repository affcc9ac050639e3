#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace looplive::control_api {

// The configured bearer tokens, kept as SHA-256 digests so every comparison
// has the same length and takes the same time (CRYPTO_memcmp), whatever the
// token presented and however much of it matches.
class TokenSet {
 public:
  explicit TokenSet(const std::vector<std::string>& tokens);
  bool contains(std::string_view token) const;
  bool empty() const { return digests_.empty(); }

 private:
  std::vector<std::array<unsigned char, 32>> digests_;
};

// The credentials of "Authorization: Bearer <token>" (scheme case-insensitive);
// nothing for any other form.
std::optional<std::string_view> bearer_token(std::string_view authorization);

}  // namespace looplive::control_api
