#include "client_identity.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/field.hpp>

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "looplive/http/util.hpp"

namespace looplive::origin {

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

uint64_t fnv1a(std::string_view text, uint64_t hash = 0xcbf29ce484222325ULL) {
  for (char c : text) hash = (hash ^ uint8_t(c)) * 0x100000001b3ULL;
  return hash;
}

bool prefix_matches(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b,
                    unsigned prefix) {
  for (unsigned bit = 0; bit < prefix; bit += 8) {
    unsigned bits = std::min(8u, prefix - bit);
    uint8_t mask = uint8_t(0xff << (8 - bits));
    if ((a[bit / 8] & mask) != (b[bit / 8] & mask)) return false;
  }
  return true;
}

// IPv4 as IPv4-mapped IPv6, so one comparison serves both families.
std::optional<std::array<uint8_t, 16>> parse(std::string_view address) {
  boost::system::error_code ec;
  auto parsed = boost::asio::ip::make_address(std::string(trim(address)), ec);
  if (ec) return std::nullopt;
  if (parsed.is_v4())
    return boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, parsed.to_v4()).to_bytes();
  return parsed.to_v6().to_bytes();
}

}  // namespace

TrustedProxies::TrustedProxies(const std::vector<std::string>& entries) {
  for (const auto& entry : entries) {
    std::string_view text = trim(entry);
    auto slash = text.find('/');
    auto bytes = parse(text.substr(0, slash));
    if (!bytes) throw std::invalid_argument("trusted_proxies: not an address: " + entry);
    Block block{*bytes, 128};
    bool v4 = text.substr(0, slash).find(':') == std::string_view::npos;
    if (slash != std::string_view::npos) {
      std::string_view digits = text.substr(slash + 1);
      unsigned prefix = 0;
      auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
      if (error != std::errc() || end != digits.data() + digits.size() || prefix > (v4 ? 32 : 128))
        throw std::invalid_argument("trusted_proxies: bad prefix length: " + entry);
      block.prefix = v4 ? prefix + 96 : prefix;
    }
    blocks_.push_back(block);
  }
}

bool TrustedProxies::contains(std::string_view address) const {
  auto bytes = parse(address);
  if (!bytes) return false;
  for (const auto& block : blocks_)
    if (prefix_matches(*bytes, block.bytes, block.prefix)) return true;
  return false;
}

std::string client_address(std::string_view peer, std::string_view forwarded_for,
                           const TrustedProxies& proxies) {
  if (forwarded_for.empty() || !proxies.contains(peer)) return std::string(peer);
  std::string_view client = peer;
  while (!forwarded_for.empty()) {
    auto comma = forwarded_for.rfind(',');
    std::string_view hop =
        trim(comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1));
    forwarded_for =
        comma == std::string_view::npos ? std::string_view{} : forwarded_for.substr(0, comma);
    // Garbage is where the chain stops being trustworthy: keep what we had.
    if (!parse(hop)) break;
    client = hop;
    if (!proxies.contains(hop)) break;
  }
  return std::string(client);
}

ViewerKey session_key(const http::Request& request, std::string_view session_param,
                      const TrustedProxies& proxies) {
  auto address = client_address(request.peer, request.header("X-Forwarded-For"), proxies);
  const uint64_t address_hash = fnv1a(address, fnv1a("address:"));
  if (!session_param.empty()) {
    auto session = http::query_param(request.query(), session_param);
    if (session && !session->empty()) return {fnv1a(*session, fnv1a("session:")), address_hash};
  }
  return {fnv1a(request.header(boost::beast::http::field::user_agent), fnv1a("|", address_hash)),
          address_hash};
}

}  // namespace looplive::origin
