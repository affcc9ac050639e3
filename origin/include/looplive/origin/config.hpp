#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "looplive/core/config_section.hpp"
#include "looplive/http/server.hpp"

namespace looplive::origin {

// The HTTP server's limits for players and CDNs: edges and large NATs open
// many connections from one address.
inline http::ServerLimits default_limits() {
  http::ServerLimits limits;
  limits.max_connections = 20'000;
  limits.max_connections_per_ip = 1'000;
  limits.max_connections_per_proxy = 10'000;  // for each of the trusted proxies
  // Players and CDNs send no request body, so any body is refused (413)
  // before a byte of it is held: with the server's default of 1 MiB, one
  // address's thousand connections could make the origin hold 1 GiB.
  limits.max_body_bytes = 0;
  return limits;
}

// The origin: section of the configuration file, and what the origin takes
// from the packager's (media_root, target_duration).
struct OriginConfig {
  std::string host = "0.0.0.0";
  uint16_t port = 8080;
  std::string media_root = "var/media";  // the packager's
  // "*" answers any Origin with "*"; otherwise an Origin on the list is echoed back.
  std::vector<std::string> cors_allowed_origins = {"*"};
  // Peers whose X-Forwarded-For is believed: addresses ("10.0.0.1") or CIDR
  // blocks ("173.245.48.0/20"). Empty: every client is its TCP peer.
  std::vector<std::string> trusted_proxies;
  std::string session_param = "session";  // query parameter players add to name a viewer session
  // The packager's segment duration: live playlists are cached for half of
  // it, and a viewer counts as current for two of them after a request.
  std::chrono::milliseconds target_duration{2000};
  http::ServerLimits limits = default_limits();
  uint32_t vod_max_age_s = 86'400;  // Cache-Control max-age of recorded streams' files
  // Viewer figures of a stream nobody requested for this long are dropped;
  // read them (or forget them) before that.
  std::chrono::seconds viewer_retention{3600};

  // Limits compared by their numbers (is_proxy is derived from trusted_proxies).
  // Written out (in config.cpp): a new member must be added there too, or a
  // reload would not see it change.
  bool operator==(const OriginConfig& other) const;
};

void read_config(core::ConfigSection section, OriginConfig& config);

}  // namespace looplive::origin
