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
  compare(running.log.format == next.log.format && running.log.pattern == next.log.pattern &&
              running.log.buffered == next.log.buffered,
          "log", false);
  // Who may call the API is checked per request; where it listens and the
  // URLs it hands out are not.
  const control_api::ApiConfig& a = running.api;
  const control_api::ApiConfig& b = next.api;
  compare(a.tokens == b.tokens, "api.tokens", true);
  compare(a.read_tokens == b.read_tokens, "api.read_tokens", true);
  compare(a.hook_allowed_addresses == b.hook_allowed_addresses, "api.hook_allowed_addresses", true);
  compare(a.metrics_require_auth == b.metrics_require_auth, "api.metrics_require_auth", true);
  control_api::ApiConfig fixed = b;
  fixed.tokens = a.tokens;
  fixed.read_tokens = a.read_tokens;
  fixed.hook_allowed_addresses = a.hook_allowed_addresses;
  fixed.metrics_require_auth = a.metrics_require_auth;
  compare(fixed == a, "api", false);
  compare(running.webhooks == next.webhooks, "webhooks", true);
  compare(running.server == next.server, "server", false);
  // Connection caps are checked per accepted connection.
  compare(running.rtmp.max_connections == next.rtmp.max_connections, "rtmp.max_connections", true);
  compare(running.rtmp.max_connections_per_address == next.rtmp.max_connections_per_address,
          "rtmp.max_connections_per_address", true);
  ingest::RtmpConfig fixed_rtmp = next.rtmp;
  fixed_rtmp.max_connections = running.rtmp.max_connections;
  fixed_rtmp.max_connections_per_address = running.rtmp.max_connections_per_address;
  compare(fixed_rtmp == running.rtmp, "rtmp", false);
  compare(running.database == next.database, "database", false);
  compare(running.packager == next.packager, "packager", false);
  // The origin reads its CORS list and trusted proxies per request, its
  // connection caps per accepted connection.
  const origin::OriginConfig& was = running.origin;
  const origin::OriginConfig& now = next.origin;
  compare(was.cors_allowed_origins == now.cors_allowed_origins, "origin.cors_allowed_origins",
          true);
  compare(was.trusted_proxies == now.trusted_proxies, "origin.trusted_proxies", true);
  compare(was.limits.max_connections == now.limits.max_connections, "origin.max_connections", true);
  compare(was.limits.max_connections_per_ip == now.limits.max_connections_per_ip,
          "origin.max_connections_per_ip", true);
  compare(was.limits.max_connections_per_proxy == now.limits.max_connections_per_proxy,
          "origin.max_connections_per_proxy", true);
  origin::OriginConfig fixed_origin = next.origin;
  fixed_origin.cors_allowed_origins = was.cors_allowed_origins;
  fixed_origin.trusted_proxies = was.trusted_proxies;
  fixed_origin.limits.max_connections = was.limits.max_connections;
  fixed_origin.limits.max_connections_per_ip = was.limits.max_connections_per_ip;
  fixed_origin.limits.max_connections_per_proxy = was.limits.max_connections_per_proxy;
  compare(fixed_origin == was, "origin", false);
  compare(running.lifecycle == next.lifecycle, "lifecycle", false);
  compare(running.retention == next.retention, "retention", false);
  compare(running.vod == next.vod, "vod", false);
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
    out.api.read_tokens = next.api.read_tokens;
    out.api.hook_allowed_addresses = next.api.hook_allowed_addresses;
    out.api.metrics_require_auth = next.api.metrics_require_auth;
  }
  if (plan.webhooks()) out.webhooks = next.webhooks;
  if (plan.origin_clients()) {
    out.origin.cors_allowed_origins = next.origin.cors_allowed_origins;
    out.origin.trusted_proxies = next.origin.trusted_proxies;
    out.origin.limits.max_connections = next.origin.limits.max_connections;
    out.origin.limits.max_connections_per_ip = next.origin.limits.max_connections_per_ip;
    out.origin.limits.max_connections_per_proxy = next.origin.limits.max_connections_per_proxy;
  }
  if (plan.rtmp_caps()) {
    out.rtmp.max_connections = next.rtmp.max_connections;
    out.rtmp.max_connections_per_address = next.rtmp.max_connections_per_address;
  }
  return out;
}

}  // namespace looplive::app
