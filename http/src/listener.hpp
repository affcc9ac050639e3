#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include "looplive/core/io_threads.hpp"

#include "looplive/http/server.hpp"
#include "server_counters.hpp"

namespace looplive::http::detail {

class Connection;

// The shared state behind a Server: the acceptor, the limits, the handler and
// the table of open connections. Connections hold it by shared_ptr, so it
// outlives the Server object for as long as any of them still runs.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(core::IoContexts io, std::string name, std::string host, uint16_t port,
           ServerLimits limits, Handler handler);

  void start();
  void stop();
  uint16_t port() const { return port_; }
  size_t connection_count() const;
  void set_caps(const ConnectionCaps& caps);
  ServerFigures figures() const { return counters_.snapshot(); }

  const ServerLimits& limits() const { return limits_; }
  const Handler& handler() const { return handler_; }
  spdlog::logger& log() const { return *log_; }
  ServerCounters& counters() { return counters_; }
  bool stopping() const { return stopping_flag_.load(std::memory_order_relaxed); }
  // Called once per admitted connection when it closes; safe to repeat.
  void forget(uint64_t id, const std::string& peer);

 private:
  void accept_next();
  void accept_waiting();
  void on_accepted(boost::asio::ip::tcp::socket socket);
  // nullptr when admitted; otherwise which limit refused it.
  const char* admit(const std::shared_ptr<Connection>& connection, const std::string& peer,
                    uint64_t id);
  // Makes room at a full address by closing its oldest connection that has
  // not sent a whole request head; false when every one of them has.
  bool evict_unfinished(std::set<uint64_t>& ids);

  core::IoContexts io_;
  const std::string host_;
  const uint16_t requested_port_;
  const ServerLimits limits_;
  const Handler handler_;
  const std::shared_ptr<spdlog::logger> log_;
  boost::asio::ip::tcp::acceptor acceptor_;  // on its own strand, with retry_timer_
  boost::asio::steady_timer retry_timer_;
  std::atomic<uint16_t> port_{0};
  std::atomic<uint64_t> next_id_{1};
  std::atomic<bool> stopping_flag_{false};
  std::atomic<uint64_t> refused_{0};
  ServerCounters counters_;

  // Taken when a connection is accepted or closes, never while serving a request.
  mutable std::mutex mutex_;
  bool stopping_ = false;
  ConnectionCaps caps_;
  std::unordered_map<uint64_t, std::weak_ptr<Connection>> connections_;
  std::unordered_map<std::string, std::set<uint64_t>> per_ip_;  // ids, oldest first
};

}  // namespace looplive::http::detail
