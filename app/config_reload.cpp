#include "config_reload.hpp"

#include <algorithm>

namespace looplive::app {

bool ReloadPlan::contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

ReloadPlan plan_reload(const Config& running, const Config& next) {
  ReloadPlan plan;
  const auto compare = [&plan](bool same, const char* name, bool reloadable) {
    if (!same) (reloadable ? plan.applied : plan.restart).push_back(name);
  };
  // Levels are atomic in each logger; the format and pattern are fixed at start.
  compare(running.log.level == next.log.level, "log.level", true);
  compare(running.log.loggers == next.log.loggers, "log.loggers", true);
  compare(running.log.format == next.log.format && running.log.pattern == next.log.pattern, "log",
          false);
  // Who may call the API is checked per request; where it listens and the
  // URLs it hands out are not.
  const control_api::ApiConfig& a = running.api;
  const control_api::ApiConfig& b = next.api;
  compare(a.tokens == b.tokens, "api.tokens", true);
  compare(a.hook_allowed_addresses == b.hook_allowed_addresses, "api.hook_allowed_addresses", true);
  compare(a.metrics_require_auth == b.metrics_require_auth, "api.metrics_require_auth", true);
  control_api::ApiConfig fixed = b;
  fixed.tokens = a.tokens;
  fixed.hook_allowed_addresses = a.hook_allowed_addresses;
  fixed.metrics_require_auth = a.metrics_require_auth;
  compare(fixed == a, "api", false);
  compare(running.webhooks == next.webhooks, "webhooks", true);
  compare(running.server == next.server, "server", false);
  compare(running.rtmp == next.rtmp, "rtmp", false);
  compare(running.database == next.database, "database", false);
  compare(running.packager == next.packager, "packager", false);
  // The origin reads its CORS list and trusted proxies per request.
  compare(running.origin.cors_allowed_origins == next.origin.cors_allowed_origins,
          "origin.cors_allowed_origins", true);
  compare(running.origin.trusted_proxies == next.origin.trusted_proxies, "origin.trusted_proxies",
          true);
  origin::OriginConfig fixed_origin = next.origin;
  fixed_origin.cors_allowed_origins = running.origin.cors_allowed_origins;
  fixed_origin.trusted_proxies = running.origin.trusted_proxies;
  compare(fixed_origin == running.origin, "origin", false);
  compare(running.lifecycle == next.lifecycle, "lifecycle", false);
  compare(running.retention == next.retention, "retention", false);
  return plan;
}

Config after_reload(const Config& running, const Config& next, const ReloadPlan& plan) {
  Config out = running;
  if (plan.log_levels()) {
    out.log.level = next.log.level;
    out.log.loggers = next.log.loggers;
  }
  if (plan.api_access()) {
    out.api.tokens = next.api.tokens;
    out.api.hook_allowed_addresses = next.api.hook_allowed_addresses;
    out.api.metrics_require_auth = next.api.metrics_require_auth;
  }
  if (plan.webhooks()) out.webhooks = next.webhooks;
  if (plan.origin_clients()) {
    out.origin.cors_allowed_origins = next.origin.cors_allowed_origins;
    out.origin.trusted_proxies = next.origin.trusted_proxies;
  }
  return out;
}

}  // namespace looplive::app
