#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <spdlog/sinks/base_sink.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cerrno>
#include <chrono>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "looplive/http/server.hpp"
#include "slow_clients.hpp"

namespace looplive::http::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace bhttp = boost::beast::http;

inline double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

using looplive::test::eventually;

// A Server on 127.0.0.1 (any port) run by two io threads, like production.
class TestServer {
 public:
  explicit TestServer(Handler handler, ServerLimits limits = {}, std::string name = "http_test")
      : work_(boost::asio::make_work_guard(io_)),
        server_(std::make_unique<Server>(io_, std::move(name), "127.0.0.1", 0, limits,
                                         std::move(handler))) {
    server_->start();
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  ~TestServer() {
    server_->stop();
    work_.reset();
    for (auto& thread : threads_) thread.join();
    server_.reset();
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  Server& server() { return *server_; }
  uint16_t port() const { return server_->port(); }

 private:
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::unique_ptr<Server> server_;
  std::vector<std::thread> threads_;
};

// Declared after the TestServer that uses the pool: handler threads must be
// done with their Respond copies before the server's io_context goes.
class JoinFirst {
 public:
  explicit JoinFirst(boost::asio::thread_pool& pool) : pool_(pool) {}
  ~JoinFirst() { pool_.join(); }
  JoinFirst(const JoinFirst&) = delete;
  JoinFirst& operator=(const JoinFirst&) = delete;

 private:
  boost::asio::thread_pool& pool_;
};

struct Reply {
  bhttp::response<bhttp::string_body> message;
  size_t wire_bytes = 0;  // status line, headers and body, as received

  unsigned status() const { return message.result_int(); }
  const std::string& body() const { return message.body(); }
  std::string header(bhttp::field name) const { return std::string(message[name]); }
  bool has(bhttp::field name) const { return message.find(name) != message.end(); }
};

// A plain blocking TCP client whose every wait has a timeout, so a server that
// misbehaves fails a test instead of hanging it.
class Client {
 public:
  // A small receive_buffer makes the server meet a full socket sooner;
  // `from` is the client's address (any of 127.0.0.0/8).
  explicit Client(uint16_t port, int receive_buffer = 0, const char* from = nullptr) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ >= 0 && receive_buffer > 0)
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    if (fd_ >= 0 && from != nullptr) {
      sockaddr_in local{};
      local.sin_family = AF_INET;
      ::inet_pton(AF_INET, from, &local.sin_addr);
      if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0)
        throw std::runtime_error("bind failed");
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
      throw std::runtime_error("connect failed");
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent < 0 && errno == EINTR) continue;
      if (sent <= 0) return false;
      bytes.remove_prefix(size_t(sent));
    }
    return true;
  }

  // One response; nullopt on timeout, on a close before it was complete, or on garbage.
  std::optional<Reply> response(bool to_head = false, std::chrono::milliseconds timeout = 5s) {
    auto deadline = Clock::now() + timeout;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.eager(true);
    parser.skip(to_head);
    parser.body_limit(std::numeric_limits<uint64_t>::max());
    size_t wire = 0;
    while (!parser.is_done()) {
      if (!pending_.empty()) {
        boost::system::error_code ec;
        size_t used = parser.put(boost::asio::buffer(pending_), ec);
        pending_.erase(0, used);
        wire += used;
        if (ec && ec != bhttp::error::need_more) return std::nullopt;
        if (parser.is_done()) break;
        if (used > 0 && !pending_.empty()) continue;
      }
      if (read_more(deadline) <= 0) return std::nullopt;
    }
    return Reply{parser.release(), wire};
  }

  std::optional<Reply> get(const std::string& target, std::string extra_headers = "") {
    if (!send("GET " + target + " HTTP/1.1\r\nHost: test\r\n" + extra_headers + "\r\n"))
      return std::nullopt;
    return response();
  }

  // True once the server has closed (EOF or reset) within `timeout`; any bytes
  // that arrive meanwhile are kept in received().
  bool closed_within(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (true) {
      int got = read_more(deadline);
      if (got == 0) return true;
      if (got < 0) return false;
    }
  }

  // A non-blocking look: has the server closed by now?
  bool closed_now() {
    char byte[512];
    ssize_t got = ::recv(fd_, byte, sizeof byte, MSG_DONTWAIT);
    if (got > 0) pending_.append(byte, size_t(got));
    return got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
  }

  // Sends without waiting; false when the connection is gone.
  bool send_now(char byte) {
    ssize_t sent = ::send(fd_, &byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    return sent == 1 || (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
  }

  const std::string& received() const { return pending_; }

 private:
  // 1: read some, 0: the server closed, -1: timed out.
  int read_more(Clock::time_point deadline) {
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return -1;
      pollfd watch{fd_, POLLIN, 0};
      int ready = ::poll(&watch, 1, int(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return -1;
      char chunk[65536];
      ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return 0;
      pending_.append(chunk, size_t(got));
      return 1;
    }
  }

  int fd_ = -1;
  std::string pending_;
};

// Keeps every message logged to it, for tests that read the access log.
class CaptureSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  bool has_line_containing(std::string_view text) {
    for (const auto& line : lines())
      if (line.find(text) != std::string::npos) return true;
    return false;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override {
    lines_.emplace_back(message.payload.data(), message.payload.size());
  }
  void flush_() override {}

 private:
  std::vector<std::string> lines_;
};

inline Response text(std::string body, bhttp::status status = bhttp::status::ok) {
  return Response(status, std::move(body), "text/plain");
}

}  // namespace looplive::http::test
