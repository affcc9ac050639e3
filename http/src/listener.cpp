#include "listener.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <vector>

#include "connection.hpp"
#include "looplive/core/log.hpp"

namespace looplive::http::detail {

namespace net = boost::asio;
using boost::system::error_code;
using tcp = net::ip::tcp;

namespace {

// Accept fails mostly when descriptors run out; retrying at once would spin.
constexpr auto kAcceptRetry = std::chrono::milliseconds(50);
// Connections taken from the backlog at once, after each accept completes.
constexpr int kAcceptBurst = 256;

std::string peer_address(const tcp::endpoint& endpoint) {
  auto address = endpoint.address();
  // Dual-stack listeners see IPv4 clients as ::ffff:a.b.c.d; count and log them as IPv4.
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6()).to_string();
  return address.to_string();
}

}  // namespace

Listener::Listener(core::IoContexts io, std::string name, std::string host, uint16_t port,
                   ServerLimits limits, Handler handler)
    : io_(io),
      host_(std::move(host)),
      requested_port_(port),
      limits_(limits),
      handler_(std::move(handler)),
      log_(core::logger(name)),
      acceptor_(net::make_strand(io.main())),
      retry_timer_(acceptor_.get_executor()),
      caps_(limits.caps()) {}

void Listener::start() {
  tcp::endpoint endpoint(net::ip::make_address(host_), requested_port_);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(net::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(net::socket_base::max_listen_connections);
  acceptor_.non_blocking(true);  // accept_waiting() must never wait
  port_ = acceptor_.local_endpoint().port();
  log_->info("HTTP listening on {}:{}", host_, port_.load());
  net::post(acceptor_.get_executor(), [self = shared_from_this()] { self->accept_next(); });
}

void Listener::accept_next() {
  if (stopping()) return;
  acceptor_.async_accept(io_.next_connection(),
                         [self = shared_from_this()](error_code ec, tcp::socket socket) {
                           if (self->stopping() || ec == net::error::operation_aborted) return;
                           if (ec) {
                             self->log_->warn("accept failed: {}", ec.message());
                             self->retry_timer_.expires_after(kAcceptRetry);
                             self->retry_timer_.async_wait([self](error_code ec) {
                               if (!ec) self->accept_next();
                             });
                             return;
                           }
                           self->on_accepted(std::move(socket));
                           self->accept_waiting();
                           self->accept_next();
                         });
}

// Each completion of async_accept waits its turn behind every handler queued
// on a busy event loop, which let thousands of connections opened at once sit
// in the backlog for seconds: whatever else is already waiting is taken now.
void Listener::accept_waiting() {
  for (int i = 0; i < kAcceptBurst && !stopping(); ++i) {
    error_code ec;
    tcp::socket socket = acceptor_.accept(io_.next_connection(), ec);
    if (ec) return;  // would_block: the backlog is empty; other errors: async_accept reports them
    on_accepted(std::move(socket));
  }
}

void Listener::on_accepted(tcp::socket socket) {
  error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  if (ec) return;  // already gone
  std::string peer = peer_address(endpoint);
  uint64_t id = next_id_++;
  auto connection = std::make_shared<Connection>(shared_from_this(), std::move(socket), id, peer);
  if (const char* limit = admit(connection, peer, id)) {
    counters_.on_refused();
    // Refusals come in floods; one line per thousand is enough to notice.
    if (refused_++ % 1000 == 0) log_->warn("refusing connection from {}: {} reached", peer, limit);
    connection->refuse();
    return;
  }
  counters_.on_accepted();
  connection->start();
}

const char* Listener::admit(const std::shared_ptr<Connection>& connection, const std::string& peer,
                            uint64_t id) {
  std::lock_guard lock(mutex_);
  if (stopping_) return "shutdown";
  if (connections_.size() >= caps_.max_connections) return "max_connections";
  std::set<uint64_t>& ids = per_ip_[peer];
  // Slow clients at an address (slowloris, or one bad client behind a CDN
  // edge or carrier NAT) must not lock out the others there.
  const size_t cap = limits_.is_proxy && limits_.is_proxy(peer) ? caps_.max_connections_per_proxy
                                                                : caps_.max_connections_per_ip;
  if (ids.size() >= cap && !evict_unfinished(ids)) return "max_connections_per_ip";
  ids.insert(id);
  connections_.emplace(id, connection);
  counters_.on_opened();
  return nullptr;
}

bool Listener::evict_unfinished(std::set<uint64_t>& ids) {
  for (auto id = ids.begin(); id != ids.end(); ++id) {
    const auto found = connections_.find(*id);
    const auto connection = found == connections_.end() ? nullptr : found->second.lock();
    if (connection && connection->sent_head()) continue;
    // Its own forget() will find it gone already.
    if (connection) connection->close_from_outside();
    if (found != connections_.end()) connections_.erase(found);
    ids.erase(id);
    counters_.on_closed();
    counters_.on_evicted();
    return true;
  }
  return false;
}

void Listener::forget(uint64_t id, const std::string& peer) {
  std::lock_guard lock(mutex_);
  if (connections_.erase(id) == 0) return;
  auto it = per_ip_.find(peer);
  if (it != per_ip_.end() && it->second.erase(id) == 1 && it->second.empty()) per_ip_.erase(it);
  counters_.on_closed();
}

void Listener::set_caps(const ConnectionCaps& caps) {
  std::lock_guard lock(mutex_);
  caps_ = caps;
}

size_t Listener::connection_count() const {
  std::lock_guard lock(mutex_);
  return connections_.size();
}

void Listener::stop() {
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    stopping_flag_ = true;
    for (auto& [id, weak] : connections_)
      if (auto connection = weak.lock()) open.push_back(std::move(connection));
  }
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    error_code ignored;
    self->acceptor_.close(ignored);
    self->retry_timer_.cancel();
  });
  for (auto& connection : open) connection->close_from_outside();
  if (port_ != 0)
    log_->info("HTTP on {}:{} stopped; closed {} connections", host_, port_.load(), open.size());
}

}  // namespace looplive::http::detail
