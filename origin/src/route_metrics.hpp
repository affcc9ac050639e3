#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "file_kind.hpp"

namespace looplive::origin {

// Requests by route and status class, and how long the origin took to
// answer them, kept in relaxed atomics so requests never wait on each other.
// The time runs from the request being handed over to the response being
// handed back: it shows a slow disk or a slow LiveSource, not a slow client
// (http::ServerFigures has the whole exchange, write included, for all routes).
class RouteMetrics {
 public:
  static constexpr std::array<double, 12> kBoundsSeconds = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};

  void record(Route route, unsigned status, std::chrono::steady_clock::duration elapsed);
  // Prometheus text for looplive_origin_requests_total and
  // looplive_origin_request_duration_seconds.
  std::string text() const;
  uint64_t requests(Route route, unsigned status_class) const;

 private:
  struct PerRoute {
    std::array<std::atomic<uint64_t>, 5> by_class{};                         // 1xx .. 5xx
    std::array<std::atomic<uint64_t>, kBoundsSeconds.size() + 1> buckets{};  // not cumulative
    std::atomic<uint64_t> sum_ns{0};
  };
  std::array<PerRoute, kRouteCount> routes_;
};

}  // namespace looplive::origin
