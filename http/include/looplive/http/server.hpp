#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "looplive/core/io_threads.hpp"

#include "looplive/http/handler.hpp"
#include "looplive/http/server_figures.hpp"

namespace looplive::http {

namespace detail {
class Listener;
}

// The connection caps of ServerLimits, which a running server can change
// (Server::set_connection_caps).
struct ConnectionCaps {
  size_t max_connections = 10000;
  size_t max_connections_per_ip = 256;
  size_t max_connections_per_proxy = 10000;
  bool operator==(const ConnectionCaps&) const = default;
};

struct ServerLimits {
  // Connections over either limit are closed as soon as they are accepted,
  // without a response: answering costs the most when the server is busiest.
  size_t max_connections = 10000;
  size_t max_connections_per_ip = 256;
  // Peers for which `is_proxy` holds (CDN edges, load balancers: every viewer
  // behind them shares their address) get this cap instead.
  size_t max_connections_per_proxy = 10000;
  std::function<bool(const std::string& peer)> is_proxy;
  // The whole request head must arrive within this, counted from the accept
  // or, on a kept-alive connection, from the first byte of the next request
  // (before that byte the connection is idle). Dribbling does not extend it.
  std::chrono::milliseconds header_timeout{5000};
  // A kept-alive connection with no request under way is closed after this.
  // A request body must also be complete within this after its head.
  std::chrono::milliseconds idle_timeout{30000};
  size_t max_header_bytes = 8192;   // 431 beyond it
  size_t max_body_bytes = 1 << 20;  // 413 beyond it
  // A response write that makes no progress for this long is abandoned.
  std::chrono::milliseconds write_timeout{30000};

  ConnectionCaps caps() const {
    return {max_connections, max_connections_per_ip, max_connections_per_proxy};
  }
};

// An HTTP/1.1 server on shared io_contexts: every connection runs on one of
// them (core::IoContexts::next_connection) and handles its requests one after
// another. Each response is logged at info on logger `name` as "method=GET path=/p status=200
// bytes=1234 ms=0.42 peer=1.2.3.4 conn=17" (the query string is left out; bytes counts headers and
// body). The handler is called for every well-formed request; malformed ones are answered
// 400/413/431 by the server and the connection is closed. Destroy the Server before its
// io_contexts.
class Server {
 public:
  Server(core::IoContexts io, std::string name, std::string host, uint16_t port,
         ServerLimits limits, Handler handler);
  ~Server();  // stops
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; throws boost::system::system_error (address in use, bad host).
  void start();
  // Stops accepting and closes every connection, whatever it is doing. Thread-safe.
  void stop();
  uint16_t port() const;  // the bound port, once started (useful with port 0)
  size_t connection_count() const;
  ServerFigures figures() const;
  // New caps for the connections accepted from now on (a reload); those
  // already open stay, even over a lowered cap. Thread-safe.
  void set_connection_caps(const ConnectionCaps& caps);

 private:
  std::shared_ptr<detail::Listener> listener_;
};

}  // namespace looplive::http
