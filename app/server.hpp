#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>

#include "looplive/core/config.hpp"
#include "looplive/core/packet_sink.hpp"
#include "looplive/core/publisher_registry.hpp"

namespace looplive::db {
class Database;
class StreamRepository;
}  // namespace looplive::db
namespace looplive::ingest {
class RtmpServer;
}
namespace looplive::packager {
class Packager;
}

namespace looplive::app {

class DbAdmission;

// The only place that knows every component: builds them, starts them and
// stops them in order.
class Server {
 public:
  // `sinks` replaces the packager as the destination of published media
  // (tests observe exactly what ingest produced).
  explicit Server(const core::Config& config, core::SinkFactory* sinks = nullptr);
  ~Server();

  // Connects to the database (waiting up to `database_wait` for it), applies
  // migrations, binds the listeners and starts the I/O threads.
  void start(std::chrono::milliseconds database_wait = std::chrono::seconds(30));
  // Blocks until SIGINT/SIGTERM or stop().
  void wait();
  // Closes listeners and connections, drains the pools and joins the threads. Idempotent.
  void stop();

  uint16_t rtmp_port() const;
  size_t rtmp_connections() const;
  core::PublisherRegistry& registry() { return registry_; }
  db::StreamRepository& streams() { return *streams_; }
  packager::Packager* packager() { return packager_.get(); }

 private:
  core::Config config_;
  boost::asio::io_context io_;
  boost::asio::thread_pool blocking_;
  boost::asio::thread_pool media_;  // per-stream strands: muxing and segment writes
  core::PublisherRegistry registry_;
  std::unique_ptr<packager::Packager> packager_;
  std::unique_ptr<core::SinkFactory> own_sinks_;
  core::SinkFactory* sinks_;
  std::unique_ptr<db::Database> database_;
  std::unique_ptr<db::StreamRepository> streams_;
  std::unique_ptr<DbAdmission> admission_;
  std::unique_ptr<ingest::RtmpServer> rtmp_;
  std::unique_ptr<boost::asio::signal_set> signals_;
  std::vector<std::thread> threads_;
  std::mutex stop_mutex_;
  std::condition_variable stopped_cv_;
  bool stop_requested_ = false;
  bool stopped_ = false;
};

}  // namespace looplive::app
