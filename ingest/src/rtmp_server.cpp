#include "looplive/ingest/rtmp_server.hpp"

#include <boost/asio/strand.hpp>

#include "looplive/core/log.hpp"
#include "rtmp_session.hpp"

namespace looplive::ingest {

namespace net = boost::asio;
using boost::system::error_code;

namespace {
constexpr int kSendBuffer = 64 * 1024;
}  // namespace

RtmpServer::RtmpServer(core::IoContexts io, const ingest::RtmpConfig& config,
                       core::Admission& admission, core::PublisherRegistry& registry,
                       core::SinkFactory& sinks)
    : io_(io),
      config_(config),
      admission_(admission),
      registry_(registry),
      sinks_(sinks),
      acceptor_(net::make_strand(io.main())),
      max_connections_(config.max_connections),
      max_connections_per_address_(config.max_connections_per_address) {}

RtmpServer::~RtmpServer() {
  stop();
}

void RtmpServer::start() {
  net::ip::tcp::endpoint endpoint(net::ip::make_address(config_.host), config_.port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(net::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(net::socket_base::max_listen_connections);
  core::logger("ingest")->info("RTMP listening on {}:{} (app '{}')", config_.host, port(),
                               config_.app);
  accept_next();
}

uint16_t RtmpServer::port() const {
  error_code ec;
  auto endpoint = acceptor_.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void RtmpServer::accept_next() {
  acceptor_.async_accept(io_.next_connection(), [this](error_code ec, net::ip::tcp::socket socket) {
    if (stopping_) return;
    if (ec) {
      // Running out of descriptors must not stop the listener for good.
      core::logger("ingest")->warn("accept failed: {}", ec.message());
      if (ec == net::error::operation_aborted) return;
      return accept_next();
    }
    error_code ignored;
    const auto peer = socket.remote_endpoint(ignored);
    const std::string address = ignored ? "unknown" : peer.address().to_string();
    // Replies are small messages sent back to back (window size, bandwidth, chunk
    // size, _result): without this, Nagle and delayed ACKs add ~40 ms per exchange.
    socket.set_option(net::ip::tcp::no_delay(true), ignored);
    // A publisher reads a few hundred bytes of replies: a small send buffer
    // bounds what a client that never reads them holds in the kernel.
    socket.set_option(net::socket_base::send_buffer_size(kSendBuffer), ignored);
    const uint64_t id = next_id_++;
    if (const char* limit = admit_connection(id, address)) {
      static std::atomic<uint64_t> refused{0};
      if (refused++ % 1000 == 0)
        core::logger("ingest")->warn("refusing connection from {}: {} reached", address, limit);
      socket.close(ignored);
      return accept_next();
    }
    auto session = std::make_shared<RtmpSession>(*this, std::move(socket), id);
    {
      std::lock_guard lock(sessions_mutex_);
      sessions_[id].session = session;
    }
    session->start();
    accept_next();
  });
}

const char* RtmpServer::admit_connection(uint64_t id, const std::string& address) {
  std::lock_guard lock(sessions_mutex_);
  if (sessions_.size() >= max_connections_) return "rtmp.max_connections";
  uint32_t& from_address = per_address_[address];
  if (from_address >= max_connections_per_address_) return "rtmp.max_connections_per_address";
  ++from_address;
  sessions_.emplace(id, Connection{{}, address});
  return nullptr;
}

void RtmpServer::set_connection_caps(const ingest::RtmpConfig& config) {
  std::lock_guard lock(sessions_mutex_);
  max_connections_ = config.max_connections;
  max_connections_per_address_ = config.max_connections_per_address;
}

void RtmpServer::forget(uint64_t id) {
  std::lock_guard lock(sessions_mutex_);
  const auto found = sessions_.find(id);
  if (found == sessions_.end()) return;
  const auto count = per_address_.find(found->second.address);
  if (count != per_address_.end() && --count->second == 0) per_address_.erase(count);
  sessions_.erase(found);
}

size_t RtmpServer::connection_count() const {
  std::lock_guard lock(sessions_mutex_);
  return sessions_.size();
}

std::string RtmpServer::metrics_text() const {
  return "# HELP looplive_rtmp_connections_open RTMP connections open, publishing or not.\n"
         "# TYPE looplive_rtmp_connections_open gauge\n"
         "looplive_rtmp_connections_open " +
         std::to_string(connection_count()) +
         "\n# HELP looplive_rtmp_unadmitted_bytes Memory held by RTMP connections not yet "
         "publishing.\n"
         "# TYPE looplive_rtmp_unadmitted_bytes gauge\n"
         "looplive_rtmp_unadmitted_bytes " +
         std::to_string(unadmitted_bytes_.load()) +
         "\n# HELP looplive_rtmp_connections_cut_total RTMP connections cut for holding more "
         "memory than one not yet publishing may.\n"
         "# TYPE looplive_rtmp_connections_cut_total counter\n"
         "looplive_rtmp_connections_cut_total{reason=\"memory\"} " +
         std::to_string(memory_cuts_.load()) + "\n";
}

void RtmpServer::stop() {
  if (stopping_.exchange(true)) return;
  net::post(acceptor_.get_executor(), [this] {
    error_code ignored;
    acceptor_.close(ignored);
  });
  std::vector<std::shared_ptr<RtmpSession>> sessions;
  {
    std::lock_guard lock(sessions_mutex_);
    for (auto& [id, connection] : sessions_)
      if (auto session = connection.session.lock()) sessions.push_back(session);
  }
  for (auto& session : sessions) session->close_from_outside(core::EndReason::shutdown);
}

}  // namespace looplive::ingest
