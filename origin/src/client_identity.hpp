#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "looplive/http/request.hpp"

namespace looplive::origin {

// The peers whose X-Forwarded-For is believed: addresses or CIDR blocks.
class TrustedProxies {
 public:
  // Throws std::invalid_argument naming a malformed entry.
  explicit TrustedProxies(const std::vector<std::string>& entries);
  bool contains(std::string_view address) const;
  bool empty() const { return blocks_.empty(); }

 private:
  struct Block {
    std::array<uint8_t, 16> bytes{};  // IPv4 as IPv4-mapped IPv6
    unsigned prefix = 128;
  };
  std::vector<Block> blocks_;
};

// The client's address: the TCP peer, or, when the peer is a trusted proxy,
// the nearest address in X-Forwarded-For that is not one of our proxies
// (read from the right, as each proxy appends the address it saw). With one
// CDN in front that is the header's only (or first) address; unlike "the
// first address", a client cannot pick it by sending X-Forwarded-For itself.
std::string client_address(std::string_view peer, std::string_view forwarded_for,
                           const TrustedProxies& proxies);

// The viewer session behind a request, and the client address it came from
// (which bounds how many sessions one client can claim), as 64-bit hashes:
// collisions among a stream's sessions are vanishingly rare and the figures
// are estimates anyway.
struct ViewerKey {
  uint64_t session = 0;
  uint64_t address = 0;
};

// The session is the session query parameter when present, else the client
// address with the User-Agent (players behind one NAT address usually differ there).
ViewerKey session_key(const http::Request& request, std::string_view session_param,
                      const TrustedProxies& proxies);

}  // namespace looplive::origin
