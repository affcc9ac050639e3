#include "looplive/origin/config.hpp"

#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>

#include "client_identity.hpp"

namespace looplive::origin {

void read_config(core::ConfigSection s, OriginConfig& c) {
  s.read("host", c.host);
  s.read_int("port", c.port, 0, 65535);
  s.read_list("cors_allowed_origins", c.cors_allowed_origins);
  s.read_list("trusted_proxies", c.trusted_proxies);
  try {
    TrustedProxies{c.trusted_proxies};
  } catch (const std::invalid_argument& error) {
    std::string why = error.what();
    if (const std::string_view named = "trusted_proxies: "; why.starts_with(named))
      why.erase(0, named.size());
    s.fail(s.key_path("trusted_proxies"), why);
  }
  s.read("session_param", c.session_param);
  if (c.session_param.empty()) s.fail(s.key_path("session_param"), "must not be empty");
  s.read_int("max_connections", c.limits.max_connections, 1, 1'000'000);
  s.read_int("max_connections_per_ip", c.limits.max_connections_per_ip, 1, 1'000'000);
  s.read_int("max_connections_per_proxy", c.limits.max_connections_per_proxy, 1, 1'000'000);
  s.read_ms("header_timeout_ms", c.limits.header_timeout, 100, 600'000);
  s.read_ms("idle_timeout_ms", c.limits.idle_timeout, 1'000, 3'600'000);
  s.read_int("vod_max_age_s", c.vod_max_age_s, 0, 31'536'000);
  s.finish();
}

bool OriginConfig::operator==(const OriginConfig& o) const {
  const auto numbers = [](const http::ServerLimits& l) {
    return std::tuple(l.max_connections, l.max_connections_per_ip, l.max_connections_per_proxy,
                      l.header_timeout, l.idle_timeout, l.max_header_bytes, l.max_body_bytes,
                      l.write_timeout);
  };
  return host == o.host && port == o.port && media_root == o.media_root &&
         cors_allowed_origins == o.cors_allowed_origins && trusted_proxies == o.trusted_proxies &&
         session_param == o.session_param && target_duration == o.target_duration &&
         numbers(limits) == numbers(o.limits) && vod_max_age_s == o.vod_max_age_s &&
         viewer_retention == o.viewer_retention;
}

}  // namespace looplive::origin
