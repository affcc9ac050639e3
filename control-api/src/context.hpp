#pragma once

#include <functional>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "api_error.hpp"
#include "auth.hpp"
#include "looplive/control_api/control_api.hpp"
#include "looplive/control_api/public_urls.hpp"
#include "looplive/core/log.hpp"
#include "metrics.hpp"

namespace looplive::control_api {

// What every handler shares: settings, dependencies and helpers.
struct Context {
  Context(ApiSettings settings_in, ApiDependencies dependencies)
      : settings(std::move(settings_in)),
        deps(std::move(dependencies)),
        urls(PublicUrls::from(settings.api)),
        tokens(settings.api.tokens),
        log(core::logger("api")) {}

  // Runs `fn` on the blocking pool (database calls never run on an I/O
  // thread) and responds with what it returns, errors mapped by guarded().
  void blocking(http::Respond respond, std::function<http::Response()> fn);
  core::ViewerFigures viewers(const std::string& stream_id) const;

  ApiSettings settings;
  ApiDependencies deps;
  PublicUrls urls;
  TokenSet tokens;
  std::shared_ptr<spdlog::logger> log;
  std::function<http::Stats()> http_stats;  // of the API's own listener
  // Table counts for /metrics, at most once every 10 s.
  DatabaseFigures database_figures{std::chrono::seconds(10)};
};

// Handlers, one per route; each file registers its own.
class Router;
void add_stream_routes(Router& router);
void add_action_routes(Router& router);
void add_hook_routes(Router& router);
void add_ops_routes(Router& router);

}  // namespace looplive::control_api
