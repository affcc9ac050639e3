#pragma once

#include <array>
#include <cstdint>

namespace looplive::http {

// A snapshot of one server's counters since it was made.
struct ServerFigures {
  // Upper bounds, in ms, of the latency buckets; one more bucket holds the rest (+Inf).
  static constexpr std::array<double, 11> kLatencyBoundsMs = {0.5, 1,   2,   5,   10,  25,
                                                              50,  100, 250, 500, 1000};

  uint64_t responses_2xx = 0;
  uint64_t responses_3xx = 0;
  uint64_t responses_4xx = 0;
  uint64_t responses_5xx = 0;
  // Responses whose latency fell in (bound[i-1], bound[i]]; not cumulative.
  // Latency runs from the request being read to the last byte being written.
  std::array<uint64_t, kLatencyBoundsMs.size() + 1> latency_buckets{};
  double latency_sum_ms = 0;
  uint64_t bytes_sent = 0;  // status lines, headers and bodies
  uint64_t connections_open = 0;
  uint64_t connections_accepted = 0;
  uint64_t connections_refused = 0;  // over max_connections or max_connections_per_ip
  // Closed to make room at a full address: ones that never sent a whole request head.
  uint64_t connections_evicted = 0;
  uint64_t timeouts = 0;  // connections closed by header, idle or write timeouts
  // Closed after a 431 or 413: a request head or body over its limit, which is
  // what bounds the memory one connection holds.
  uint64_t connections_cut = 0;

  uint64_t responses() const {
    return responses_2xx + responses_3xx + responses_4xx + responses_5xx;
  }
};

}  // namespace looplive::http
