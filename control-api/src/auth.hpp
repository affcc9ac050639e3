#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "looplive/control_api/config.hpp"

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

// Who may call what: what a reload of the configuration can change while
// requests are answered on every I/O thread.
struct AccessRules {
  explicit AccessRules(const ApiConfig& api)
      : tokens(api.tokens),
        read_tokens(api.read_tokens),
        hook_allowed_addresses(api.hook_allowed_addresses),
        metrics_require_auth(api.metrics_require_auth) {}

  TokenSet tokens;
  TokenSet read_tokens;  // GET and HEAD only
  std::vector<std::string> hook_allowed_addresses;
  bool metrics_require_auth = false;
};

// A name for the client a token belongs to, to count what it holds (its
// queued VOD jobs): "t_" and 16 hex digits of the token's SHA-256, so the
// token itself is never stored.
std::string client_name(std::string_view token);

// The credentials of "Authorization: Bearer <token>" (scheme case-insensitive);
// nothing for any other form.
std::optional<std::string_view> bearer_token(std::string_view authorization);

}  // namespace looplive::control_api
