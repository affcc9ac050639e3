#pragma once

// The real server in-process with its control API, a fresh database of its
// own in the shared cluster, a webhook receiver that records what it gets and
// answers 500 on demand, and a plain HTTP client for the API.

#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>

#include "looplive/control_api/webhooks.hpp"
#include "looplive/core/log.hpp"
#include "looplive/db/stream_repository.hpp"
#include "pg_cluster.hpp"
#include "process.hpp"
#include "server.hpp"

namespace looplive::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using Clock = std::chrono::steady_clock;

inline constexpr const char* kApiToken = "integration-token-0123456789";
// A Standard Webhooks secret: "whsec_" and base64, so both signatures are sent.
inline constexpr const char* kWebhookSecret = "whsec_aW50ZWdyYXRpb24tdGVzdC1zZWNyZXQh";

struct HttpAnswer {
  int status = 0;
  bhttp::fields headers;
  std::string body;
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

// One request on a fresh connection, blocking.
inline HttpAnswer http_request(uint16_t port, bhttp::verb method, const std::string& target,
                               const std::string& body = "", const std::string& token = kApiToken,
                               const std::string& content_type = "application/json") {
  net::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(60));
  stream.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  bhttp::request<bhttp::string_body> request(method, target, 11);
  request.set(bhttp::field::host, "127.0.0.1");
  if (!token.empty()) request.set(bhttp::field::authorization, "Bearer " + token);
  if (!body.empty()) request.set(bhttp::field::content_type, content_type);
  request.body() = body;
  request.prepare_payload();
  bhttp::write(stream, request);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> response;
  bhttp::read(stream, buffer, response);
  boost::system::error_code ignored;
  stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  HttpAnswer answer;
  answer.status = static_cast<int>(response.result_int());
  for (const auto& field : response) answer.headers.set(field.name_string(), field.value());
  answer.body = response.body();
  return answer;
}

struct ReceivedHook {
  Clock::time_point at;
  std::string type;
  std::string timestamp;
  std::string signature;
  std::string body;
  std::string id;                  // webhook-id
  std::string standard_timestamp;  // webhook-timestamp
  std::string standard_signature;  // webhook-signature
  int answered = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // all of them, as sent
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
  // Both signatures under `secret`, looplive's own and the Standard Webhooks
  // one, among those each header lists (two while a secret is rotated).
  bool signature_valid(const std::string& secret = kWebhookSecret) const {
    const auto listed = [](const std::string& header, const std::string& wanted) {
      std::istringstream words(header);
      for (std::string word; words >> word;)
        if (word == wanted) return true;
      return false;
    };
    return listed(signature, control_api::webhook_signature(secret, timestamp, body)) &&
           standard_timestamp == timestamp && json()["id"] == id &&
           listed(standard_signature,
                  control_api::standard_webhook_signature(secret, id, timestamp, body));
  }
};

// Records every POST; answers 200 unless told to fail.
class WebhookReceiver {
 public:
  WebhookReceiver() : acceptor_(io_, {net::ip::make_address("127.0.0.1"), 0}) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~WebhookReceiver() {
    io_.stop();
    thread_.join();
  }

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/hooks";
  }
  void fail_next(int count) {
    std::lock_guard lock(mutex_);
    failures_ = count;
  }
  void fail_all(bool fail) {
    std::lock_guard lock(mutex_);
    fail_all_ = fail;
  }
  std::vector<ReceivedHook> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }
  // The hooks of one stream and type, answered 2xx, in arrival order.
  std::vector<ReceivedHook> delivered(const std::string& stream_id, const std::string& type) const {
    std::vector<ReceivedHook> out;
    for (auto& hook : received())
      if (hook.answered == 200 && hook.type == type && hook.json()["data"]["streamId"] == stream_id)
        out.push_back(hook);
    return out;
  }
  bool wait_for(const std::string& stream_id, const std::string& type,
                std::chrono::milliseconds timeout, size_t count = 1) const {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (delivered(stream_id, type).size() >= count) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

 private:
  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, net::ip::tcp::socket socket) {
      if (ec) return;
      serve(std::move(socket));
      accept();
    });
  }

  // One request per connection, synchronously: the sender closes after one answer.
  void serve(net::ip::tcp::socket socket) {
    beast::flat_buffer buffer;
    bhttp::request<bhttp::string_body> request;
    boost::system::error_code ec;
    bhttp::read(socket, buffer, request, ec);
    if (ec) return;
    ReceivedHook hook{Clock::now(),
                      std::string(request["X-Looplive-Event"]),
                      std::string(request["X-Looplive-Timestamp"]),
                      std::string(request["X-Looplive-Signature"]),
                      request.body(),
                      std::string(request["webhook-id"]),
                      std::string(request["webhook-timestamp"]),
                      std::string(request["webhook-signature"])};
    for (const auto& field : request) hook.headers.emplace_back(field.name_string(), field.value());
    {
      std::lock_guard lock(mutex_);
      const bool fail = fail_all_ || failures_ > 0;
      if (failures_ > 0) --failures_;
      hook.answered = fail ? 500 : 200;
      received_.push_back(hook);
    }
    bhttp::response<bhttp::string_body> response(
        hook.answered == 200 ? bhttp::status::ok : bhttp::status::internal_server_error, 11);
    response.set(bhttp::field::connection, "close");
    response.body() = hook.answered == 200 ? "ok" : "not now";
    response.prepare_payload();
    bhttp::write(socket, response, ec);
    socket.shutdown(net::ip::tcp::socket::shutdown_both, ec);
  }

  net::io_context io_;
  net::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<ReceivedHook> received_;
  int failures_ = 0;
  bool fail_all_ = false;
};

// A database of its own in the shared cluster, so no other case's streams
// are recovered or listed.
inline db::DatabaseConfig fresh_database(const std::string& name) {
  return PgCluster::shared().fresh_database(name);
}

inline app::Config api_test_config(const db::DatabaseConfig& database,
                                   const std::string& media_root, const WebhookReceiver* hooks) {
  app::Config config;
  config.server.io_threads = 2;
  config.rtmp.host = "127.0.0.1";
  config.rtmp.port = 0;
  config.rtmp.stats_interval = std::chrono::milliseconds(1000);
  config.database = database;
  config.packager.media_root = media_root;
  config.api.port = 0;
  config.origin.port = 0;
  config.api.tokens = {kApiToken};
  config.api.public_rtmp_url = "rtmp://live.example.com/live";
  config.api.public_playback_url = "https://video.example.com";
  if (hooks) config.webhooks.urls = {hooks->url()};
  config.webhooks.secret = kWebhookSecret;
  config.webhooks.initial_backoff = std::chrono::milliseconds(100);
  config.webhooks.max_backoff = std::chrono::milliseconds(1000);
  return config;
}

// The application, started on construction and stopped on destruction.
struct ApiServer {
  // `reread` is what SIGHUP reads as the configuration file.
  explicit ApiServer(const app::Config& config, std::function<app::Config()> reread = {})
      : server(config) {
    if (reread) server.set_config_source(std::move(reread));
    server.start();
  }
  ~ApiServer() { server.stop(); }

  HttpAnswer call(bhttp::verb method, const std::string& target, const std::string& body = "",
                  const std::string& token = kApiToken) {
    return http_request(server.api_port(), method, target, body, token);
  }
  std::string publish_url(const std::string& key) const {
    return "rtmp://127.0.0.1:" + std::to_string(server.rtmp_port()) + "/live/" + key;
  }
  bool wait_live(const std::string& stream_id, bool live, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (server.registry().is_live(stream_id) == live) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
  }
  std::string status_of(const std::string& stream_id) {
    auto stream = server.streams().find(stream_id);
    return stream ? std::string(db::status_name(stream->status)) : "none";
  }
  bool wait_status(const std::string& stream_id, const std::string& status,
                   std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (status_of(stream_id) == status) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  app::Server server;
};

inline std::vector<std::string> ffmpeg_publish(const std::string& fixture, const std::string& url) {
  return {"ffmpeg", "-hide_banner", "-loglevel", "info", "-nostdin", "-re", "-i",
          fixture,  "-c",           "copy",      "-f",   "flv",      url};
}

inline size_t count_of(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++count;
  return count;
}

}  // namespace looplive::test
