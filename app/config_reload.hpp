#pragma once

#include <string>
#include <vector>

#include "config.hpp"

namespace looplive::app {

// What a reload of the configuration does (SIGHUP): the settings a running
// server takes at once, and those that differ but take effect only at the
// next start, named as in the configuration file.
struct ReloadPlan {
  std::vector<std::string> applied;  // "log.level", "api.tokens", "webhooks", ...
  std::vector<std::string> restart;  // "rtmp", "origin", ...

  bool log_levels() const {
    return contains(applied, "log.level") || contains(applied, "log.loggers");
  }
  bool api_access() const {
    return contains(applied, "api.tokens") || contains(applied, "api.read_tokens") ||
           contains(applied, "api.hook_allowed_addresses") ||
           contains(applied, "api.metrics_require_auth");
  }
  bool webhooks() const { return contains(applied, "webhooks"); }
  bool origin_clients() const {
    return contains(applied, "origin.cors_allowed_origins") ||
           contains(applied, "origin.trusted_proxies") ||
           contains(applied, "origin.max_connections") ||
           contains(applied, "origin.max_connections_per_ip") ||
           contains(applied, "origin.max_connections_per_proxy");
  }
  bool rtmp_caps() const {
    return contains(applied, "rtmp.max_connections") ||
           contains(applied, "rtmp.max_connections_per_address");
  }

 private:
  static bool contains(const std::vector<std::string>& names, const std::string& name);
};

ReloadPlan plan_reload(const Config& running, const Config& next);

// The running configuration once `plan` is applied: `next`'s applied
// settings, `running`'s everywhere else.
Config after_reload(const Config& running, const Config& next, const ReloadPlan& plan);

}  // namespace looplive::app
