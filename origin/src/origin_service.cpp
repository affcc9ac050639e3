#include "looplive/origin/origin_service.hpp"

#include <spdlog/fmt/fmt.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <algorithm>
#include <atomic>

#include "client_identity.hpp"
#include "held_per_thread.hpp"
#include "request_handler.hpp"
#include "route_metrics.hpp"
#include "viewer_registry.hpp"

namespace looplive::origin {

namespace net = boost::asio;

// Whatever a request handler may still touch after the OriginService is
// gone: connections keep the handler, and with it this, alive.
struct OriginService::State {
  State(net::io_context& io, const OriginConfig& config, const LiveSource& source, Clock clock)
      : clock(std::move(clock)),
        sweep_interval(std::max(config.target_duration, std::chrono::milliseconds(100))),
        viewers(config.target_duration, config.viewer_retention),
        held(source),
        handler(config, source, viewers, metrics, held, this->clock),
        sweep_timer(net::make_strand(io)),
        held_timer(net::make_strand(io)) {}

  void schedule_sweep(const std::shared_ptr<State>& self) {
    sweep_timer.expires_after(sweep_interval);
    sweep_timer.async_wait([weak = std::weak_ptr<State>(self)](boost::system::error_code ec) {
      auto state = weak.lock();
      if (ec || !state || state->stopped) return;
      state->viewers.sweep(state->clock());
      state->schedule_sweep(state);
    });
  }

  // Held requests past their deadline are given up on within this.
  void schedule_held_expiry(const std::shared_ptr<State>& self) {
    held_timer.expires_after(std::chrono::milliseconds(100));
    held_timer.async_wait([weak = std::weak_ptr<State>(self)](boost::system::error_code ec) {
      auto state = weak.lock();
      if (ec || !state || state->stopped) return;
      state->held.expire(HeldRequests::Clock::now());
      state->schedule_held_expiry(state);
    });
  }

  const Clock clock;
  const std::chrono::milliseconds sweep_interval;
  RouteMetrics metrics;
  ViewerRegistry viewers;
  HeldPerThread held;
  RequestHandler handler;
  net::steady_timer sweep_timer;  // used on its strand only
  net::steady_timer held_timer;   // used on its strand only
  std::atomic<bool> stopped{false};
};

namespace {

std::string figure_lines(const http::ServerFigures& stats) {
  return fmt::format(
      "# HELP looplive_origin_connections_open Origin HTTP connections open now.\n"
      "# TYPE looplive_origin_connections_open gauge\n"
      "looplive_origin_connections_open {}\n"
      "# HELP looplive_origin_connections_refused_total Connections closed on accept for being "
      "over "
      "a connection limit.\n"
      "# TYPE looplive_origin_connections_refused_total counter\n"
      "looplive_origin_connections_refused_total {}\n"
      "# HELP looplive_origin_connections_evicted_total Connections without a whole request head "
      "closed to make room for a new one from the same address.\n"
      "# TYPE looplive_origin_connections_evicted_total counter\n"
      "looplive_origin_connections_evicted_total {}\n"
      "# HELP looplive_origin_timeouts_total Connections closed for a header, idle or write "
      "timeout.\n"
      "# TYPE looplive_origin_timeouts_total counter\n"
      "looplive_origin_timeouts_total {}\n"
      "# HELP looplive_origin_connections_cut_total Connections cut for holding more than a "
      "connection may: a request head or body over its limit.\n"
      "# TYPE looplive_origin_connections_cut_total counter\n"
      "looplive_origin_connections_cut_total{{reason=\"memory\"}} {}\n"
      "# HELP looplive_origin_sent_bytes_total Bytes sent to viewers and caches, headers "
      "included.\n"
      "# TYPE looplive_origin_sent_bytes_total counter\n"
      "looplive_origin_sent_bytes_total {}\n",
      stats.connections_open, stats.connections_refused, stats.connections_evicted, stats.timeouts,
      stats.connections_cut, stats.bytes_sent);
}

}  // namespace

OriginService::OriginService(core::IoContexts io, OriginConfig config, const LiveSource& source,
                             Clock clock) {
  if (!clock) clock = [] { return std::chrono::steady_clock::now(); };
  state_ = std::make_shared<State>(io.main(), config, source, std::move(clock));
  // Asked even with no proxy configured: a reload may name some.
  config.limits.is_proxy = [state = state_](const std::string& peer) {
    return state->handler.is_trusted_proxy(peer);
  };
  server_ = std::make_unique<http::Server>(
      io, "origin", config.host, config.port, config.limits,
      [state = state_](const http::Request& request, http::Respond respond) {
        state->handler(request, respond);
      });
}

OriginService::~OriginService() {
  stop();
}

void OriginService::start() {
  server_->start();
  net::post(state_->sweep_timer.get_executor(), [state = state_] { state->schedule_sweep(state); });
  net::post(state_->held_timer.get_executor(),
            [state = state_] { state->schedule_held_expiry(state); });
}

void OriginService::stop() {
  server_->stop();
  if (state_->stopped.exchange(true)) return;
  net::post(state_->sweep_timer.get_executor(), [state = state_] { state->sweep_timer.cancel(); });
  net::post(state_->held_timer.get_executor(), [state = state_] { state->held_timer.cancel(); });
  // Their connections are closing: nothing may hold a response past the server.
  state_->held.release_all();
}

// Each I/O thread answers the requests it holds on the stream, on itself:
// the packaging thread only posts, and goes back to its publisher.
void OriginService::live_changed(const std::string& stream_id) {
  if (state_->stopped) return;
  state_->held.changed(stream_id);
}

size_t OriginService::held_requests() const {
  return state_->held.size();
}

uint16_t OriginService::port() const {
  return server_->port();
}

void OriginService::set_client_policy(const OriginConfig& config) {
  state_->handler.set_client_policy(config);
  server_->set_connection_caps(config.limits.caps());
}

http::ServerFigures OriginService::figures() const {
  return server_->figures();
}

ViewerFigures OriginService::viewers(const std::string& stream_id) const {
  return state_->viewers.figures(stream_id, state_->clock());
}

void OriginService::forget_viewers(const std::string& stream_id) {
  state_->viewers.forget(stream_id);
}

std::string OriginService::metrics_text() const {
  std::string out = state_->metrics.text();
  auto viewers = state_->viewers.all_figures(state_->clock());
  out +=
      "# HELP looplive_viewers_current Viewer sessions active in the last two target durations.\n";
  out += "# TYPE looplive_viewers_current gauge\n";
  for (const auto& [id, f] : viewers)
    out += fmt::format("looplive_viewers_current{{stream=\"{}\"}} {}\n", id, f.current);
  out +=
      "# HELP looplive_viewers_peak Most viewer sessions active at once since the stream began.\n";
  out += "# TYPE looplive_viewers_peak gauge\n";
  for (const auto& [id, f] : viewers)
    out += fmt::format("looplive_viewers_peak{{stream=\"{}\"}} {}\n", id, f.peak);
  out += "# HELP looplive_viewers_unique Distinct viewer sessions since the stream began.\n";
  out += "# TYPE looplive_viewers_unique gauge\n";
  for (const auto& [id, f] : viewers)
    out += fmt::format("looplive_viewers_unique{{stream=\"{}\"}} {}\n", id, f.unique);
  return out + figure_lines(figures());
}

}  // namespace looplive::origin
