#include "config_reload.hpp"

#include <catch2/catch.hpp>

#include "config.hpp"

using looplive::app::after_reload;
using looplive::app::parse_config;
using looplive::app::plan_reload;

TEST_CASE(
    "a reload applies levels, API access, webhooks and the origin's client policy, and "
    "names what needs a restart",
    "[app]") {
  const auto running = parse_config(R"(
log: {level: info}
api: {port: 8081, tokens: ["first-token-0123456789"]}
origin: {port: 8080}
)",
                                    "running.yaml");
  SECTION("the same file changes nothing") {
    const auto plan = plan_reload(running, running);
    CHECK(plan.applied.empty());
    CHECK(plan.restart.empty());
  }
  SECTION("what a running server takes, and what it does not") {
    const auto next = parse_config(R"(
log: {level: debug, loggers: {origin: warn}, format: json}
api: {port: 9000, tokens: ["second-token-0123456789"], read_tokens: ["reader-token-0123456789"],
      metrics_require_auth: true}
origin: {port: 8081, cors_allowed_origins: ["https://shop.example"], trusted_proxies: ["10.0.0.0/8"],
         max_connections_per_ip: 8}
rtmp: {max_connections_per_address: 4}
webhooks: {urls: ["https://backend.example/hooks"], secret: "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ="}
)",
                                   "next.yaml");
    const auto plan = plan_reload(running, next);
    CHECK(plan.applied == std::vector<std::string>{
                              "log.level", "log.loggers", "api.tokens", "api.read_tokens",
                              "api.metrics_require_auth", "webhooks",
                              "rtmp.max_connections_per_address", "origin.cors_allowed_origins",
                              "origin.trusted_proxies", "origin.max_connections_per_ip"});
    CHECK(plan.restart == std::vector<std::string>{"log", "api", "origin"});
    // What runs afterwards: the applied settings are new, the rest as before,
    // so the next reload names the same restart again.
    const auto now = after_reload(running, next, plan);
    CHECK(now.log.level == "debug");
    CHECK(now.log.format == "text");
    CHECK(now.api.tokens == next.api.tokens);
    CHECK(now.api.read_tokens == next.api.read_tokens);
    CHECK(now.api.port == 8081);
    CHECK(now.webhooks == next.webhooks);
    CHECK(now.origin.cors_allowed_origins == next.origin.cors_allowed_origins);
    CHECK(now.origin.trusted_proxies == next.origin.trusted_proxies);
    CHECK(now.origin.limits.max_connections_per_ip == 8);
    CHECK(now.rtmp.max_connections_per_address == 4);
    CHECK(now.origin.port == 8080);
    CHECK(plan_reload(now, next).applied.empty());
    CHECK(plan_reload(now, next).restart == plan.restart);
  }
}
