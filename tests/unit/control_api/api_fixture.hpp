#pragma once

// The control API without a socket: requests go straight to its handler, the
// database is one that cannot be reached (unless a test passes its own).

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <cstdlib>
#include <future>
#include <string>

#include <nlohmann/json.hpp>

#include "looplive/control_api/control_api.hpp"
#include "looplive/db/database.hpp"
#include "looplive/db/stream_repository.hpp"
#include "looplive/db/webhook_queue.hpp"
#include "process.hpp"

namespace looplive::test {

inline constexpr const char* kToken = "unit-test-token-0123456789";

class FakeEnder : public control_api::StreamEnder {
 public:
  void end(const std::string& stream_id,
           std::function<void(control_api::EndOutcome)> done) override {
    ended = stream_id;
    done(control_api::EndOutcome{control_api::EndOutcome::Kind::not_found, {}, "fake"});
  }
  void disconnect_elsewhere(const std::string& stream_id) override { disconnected = stream_id; }
  std::string ended;
  std::string disconnected;
};

inline db::DatabaseConfig unreachable_database() {
  db::DatabaseConfig config;
  config.url = "host=127.0.0.1 port=" + std::to_string(free_port()) + " dbname=none user=none";
  config.connect_timeout = std::chrono::milliseconds(1000);
  return config;
}

struct ApiFixture {
  explicit ApiFixture(db::DatabaseConfig database_config = unreachable_database(),
                      control_api::ApiConfig api_config = {}) {
    database = std::make_unique<db::Database>(database_config);
    streams = std::make_unique<db::StreamRepository>(*database);
    queue = std::make_unique<db::WebhookQueue>(*database);
    control_api::ApiSettings settings;
    settings.api = std::move(api_config);
    if (settings.api.tokens.empty()) settings.api.tokens = {kToken};
    api = std::make_unique<control_api::ControlApi>(
        io, settings,
        control_api::ApiDependencies{*database, *streams, *queue, registry, figures, ender, pool});
  }

  struct Answer {
    int status = 0;
    boost::beast::http::fields headers;
    std::string body;
    nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
  };

  Answer request(boost::beast::http::verb method, const std::string& target,
                 const std::string& body = "", const std::string& token = kToken,
                 const std::string& content_type = "application/json",
                 const std::string& peer = "192.0.2.1") {
    http::Request request;
    request.message.method(method);
    request.message.target(target);
    request.message.version(11);
    if (!token.empty())
      request.message.set(boost::beast::http::field::authorization, "Bearer " + token);
    if (!body.empty()) request.message.set(boost::beast::http::field::content_type, content_type);
    request.message.body() = body;
    request.peer = peer;
    auto promise = std::make_shared<std::promise<http::Response>>();
    auto future = promise->get_future();
    api->handle(request,
                [promise](http::Response response) { promise->set_value(std::move(response)); });
    if (future.wait_for(std::chrono::seconds(20)) != std::future_status::ready) return {};
    auto response = future.get();
    Answer answer;
    answer.status = static_cast<int>(response.status);
    answer.headers = response.headers;
    if (auto* text = std::get_if<std::string>(&response.body)) answer.body = *text;
    return answer;
  }

  boost::asio::io_context io;
  boost::asio::thread_pool pool{2};
  std::unique_ptr<db::Database> database;
  std::unique_ptr<db::StreamRepository> streams;
  std::unique_ptr<db::WebhookQueue> queue;
  core::PublisherRegistry registry;
  core::IngestFiguresRegistry figures;
  FakeEnder ender;
  std::unique_ptr<control_api::ControlApi> api;

  ~ApiFixture() {
    pool.join();
    api.reset();
  }
};

}  // namespace looplive::test
