#include "server.hpp"

#include "db_admission.hpp"
#include "strand_sink_factory.hpp"
#include "looplive/core/log.hpp"
#include "looplive/db/database.hpp"
#include "looplive/db/stream_repository.hpp"
#include "looplive/ingest/rtmp_server.hpp"
#include "looplive/packager/packager.hpp"

namespace looplive::app {

namespace net = boost::asio;

namespace {
unsigned io_thread_count(const core::ServerConfig& config) {
  return config.io_threads ? config.io_threads : std::max(1u, std::thread::hardware_concurrency());
}
}  // namespace

Server::Server(const core::Config& config, core::SinkFactory* sinks)
    : config_(config),
      blocking_(config.server.blocking_threads),
      media_(io_thread_count(config.server)),
      sinks_(sinks) {
  if (!sinks_) {
    packager_ = std::make_unique<packager::Packager>(config_.packager);
    own_sinks_ = std::make_unique<StrandSinkFactory>(*packager_, media_);
    sinks_ = own_sinks_.get();
  }
}

Server::~Server() { stop(); }

void Server::start(std::chrono::milliseconds database_wait) {
  auto log = core::logger("app");
  database_ = std::make_unique<db::Database>(config_.database);
  auto give_up = std::chrono::steady_clock::now() + database_wait;
  for (;;) {
    try {
      database_->migrate();
      break;
    } catch (const db::Unavailable& e) {
      if (std::chrono::steady_clock::now() >= give_up) throw;
      log->warn("database not reachable yet ({}); retrying", e.what());
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
  log->info("database schema at version {}", database_->schema_version());
  streams_ = std::make_unique<db::StreamRepository>(*database_);
  admission_ = std::make_unique<DbAdmission>(*streams_, blocking_);

  rtmp_ = std::make_unique<ingest::RtmpServer>(io_, config_.rtmp, *admission_, registry_, *sinks_);
  rtmp_->start();

  signals_ = std::make_unique<net::signal_set>(io_, SIGINT, SIGTERM);
  signals_->async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    core::logger("app")->info("signal {} received, shutting down", signal);
    std::lock_guard lock(stop_mutex_);
    stop_requested_ = true;
    stopped_cv_.notify_all();
  });

  unsigned threads = io_thread_count(config_.server);
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
  log->info("looplive started: {} I/O threads, {} blocking threads", threads,
            config_.server.blocking_threads);
}

void Server::wait() {
  std::unique_lock lock(stop_mutex_);
  stopped_cv_.wait(lock, [this] { return stop_requested_; });
}

uint16_t Server::rtmp_port() const { return rtmp_ ? rtmp_->port() : 0; }

size_t Server::rtmp_connections() const { return rtmp_ ? rtmp_->connection_count() : 0; }

void Server::stop() {
  {
    std::lock_guard lock(stop_mutex_);
    if (stopped_) return;
    stopped_ = true;
    stop_requested_ = true;
    stopped_cv_.notify_all();
  }
  // Order: stop accepting and end every publish (sinks finish their work),
  // let queued blocking jobs finish, then stop the I/O threads.
  if (signals_) signals_->cancel();
  if (rtmp_) rtmp_->stop();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (rtmp_ && rtmp_->connection_count() > 0 && std::chrono::steady_clock::now() < deadline &&
         !threads_.empty())
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  media_.join();  // every finished publish has written its last segment and playlists
  blocking_.join();
  io_.stop();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
  core::logger("app")->info("looplive stopped");
}

}  // namespace looplive::app
