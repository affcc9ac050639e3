#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>

#include "answer_waits.hpp"
#include "api_error.hpp"
#include "auth.hpp"
#include "looplive/control_api/control_api.hpp"
#include "looplive/control_api/public_urls.hpp"
#include "looplive/core/log.hpp"
#include "metrics.hpp"
#include "tag_rate.hpp"

namespace looplive::control_api {

// What every handler shares: settings, dependencies and helpers.
struct Context {
  Context(ApiSettings settings_in, ApiDependencies dependencies)
      : settings(std::move(settings_in)),
        deps(std::move(dependencies)),
        urls(PublicUrls::from(settings.api)),
        log(core::logger("api")),
        tag_rate(settings.api.tags_per_second),
        access_(std::make_shared<const AccessRules>(settings.api)) {}

  // Runs `fn` on the blocking pool (database calls never run on an I/O
  // thread) and responds with what it returns, errors mapped by guarded().
  void blocking(http::Respond respond, std::function<http::Response()> fn);
  core::ViewerFigures viewers(const std::string& stream_id) const;

  // The rules a request is checked against, as last configured.
  std::shared_ptr<const AccessRules> access() const {
    std::lock_guard lock(access_mutex_);
    return access_;
  }
  void set_access(const ApiConfig& api) {
    auto rules = std::make_shared<const AccessRules>(api);
    std::lock_guard lock(access_mutex_);
    access_ = std::move(rules);
  }

  boost::asio::io_context* io = nullptr;  // the API's; set by ControlApi
  ApiSettings settings;  // settings.api's access fields as at start; access() has the current ones
  ApiDependencies deps;
  PublicUrls urls;
  std::shared_ptr<spdlog::logger> log;
  TagRate tag_rate;                  // per stream
  std::atomic<int> tags_waiting{0};  // tags asked of another process, not yet answered
  AnswerWaits tag_answer_waits;      // their timers, woken by the answers' notifications
  std::function<http::ServerFigures()> http_figures;  // of the API's own listener
  // Table counts for /metrics, at most once every 10 s.
  DatabaseFigures database_figures{std::chrono::seconds(10)};

 private:
  mutable std::mutex access_mutex_;
  std::shared_ptr<const AccessRules> access_;
};

// Handlers, one per route; each file registers its own.
class Router;
void add_stream_routes(Router& router);
void add_action_routes(Router& router);
void add_hook_routes(Router& router);
void add_ops_routes(Router& router);
void add_preview_routes(Router& router);
void add_tag_routes(Router& router);
void add_tag_batch_routes(Router& router);
void add_vod_job_routes(Router& router);

}  // namespace looplive::control_api
