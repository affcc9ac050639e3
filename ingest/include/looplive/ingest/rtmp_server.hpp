#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <boost/asio/io_context.hpp>

#include <boost/asio/ip/tcp.hpp>
#include "looplive/core/io_threads.hpp"

#include "looplive/core/admission.hpp"
#include "looplive/core/ingest_figures.hpp"
#include "looplive/core/packet_sink.hpp"
#include "looplive/core/publisher_registry.hpp"
#include "looplive/ingest/config.hpp"

namespace looplive::ingest {

class RtmpSession;

// Accepts RTMP publishers. Each connection runs on one of the shared
// io_contexts (see IoContexts::next_connection), and so does its sink (the packager); admission
// runs elsewhere and posts its verdict back.
class RtmpServer {
 public:
  RtmpServer(core::IoContexts io, const ingest::RtmpConfig& config, core::Admission& admission,
             core::PublisherRegistry& registry, core::SinkFactory& sinks);
  ~RtmpServer();
  RtmpServer(const RtmpServer&) = delete;
  RtmpServer& operator=(const RtmpServer&) = delete;

  // Where each publisher's figures go, every stats interval and when it ends.
  // Set before start(); the registry must outlive the server.
  void set_figures(core::IngestFiguresRegistry* figures) { figures_ = figures; }

  // Binds and starts accepting; throws boost::system::system_error when the address is taken.
  void start();
  // A shutdown begins: new publishes are refused ("the server is shutting
  // down"), running ones go on until stop().
  void drain() { draining_ = true; }
  // Stops accepting and closes every connection; a publisher is told the
  // server is going away first (NetConnection.Connect.Closed), so its
  // encoder reconnects, to another server behind the same address.
  void stop();
  uint16_t port() const;  // the bound port, useful when configured with port 0
  size_t connection_count() const;
  // A reload: config's max_connections and max_connections_per_address
  // apply to the connections accepted from now on; open ones stay.
  void set_connection_caps(const ingest::RtmpConfig& config);
  // Prometheus text: connections open, and those cut for holding more memory
  // than a connection not yet publishing may.
  std::string metrics_text() const;

 private:
  friend class RtmpSession;
  void accept_next();
  // The limit that refuses a new connection from `address`, or nullptr once it is counted in.
  const char* admit_connection(uint64_t id, const std::string& address);
  void forget(uint64_t id);

  core::IoContexts io_;
  const ingest::RtmpConfig config_;
  core::Admission& admission_;
  core::PublisherRegistry& registry_;
  core::SinkFactory& sinks_;
  core::IngestFiguresRegistry* figures_ = nullptr;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::atomic<uint64_t> next_id_{1};
  struct Connection {
    std::weak_ptr<RtmpSession> session;
    std::string address;
  };
  mutable std::mutex sessions_mutex_;
  uint32_t max_connections_;  // config_'s until a reload
  uint32_t max_connections_per_address_;
  std::unordered_map<uint64_t, Connection> sessions_;
  std::unordered_map<std::string, uint32_t> per_address_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> draining_{false};
  std::atomic<size_t> unadmitted_bytes_{0};  // held by connections not publishing
  std::atomic<uint64_t> memory_cuts_{0};
};

}  // namespace looplive::ingest
