#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "looplive/http/server_figures.hpp"

namespace looplive::http::detail {

// The live side of ServerFigures: relaxed atomics, so connections never wait on each other.
class ServerCounters {
 public:
  void on_response(unsigned status, double latency_ms, uint64_t bytes);
  void on_accepted() { bump(accepted_); }
  void on_refused() { bump(refused_); }
  void on_evicted() { bump(evicted_); }
  void on_opened() { bump(open_); }
  void on_closed() { open_.fetch_sub(1, std::memory_order_relaxed); }
  void on_timeout() { bump(timeouts_); }
  void on_cut() { bump(cut_); }
  ServerFigures snapshot() const;

 private:
  static void bump(std::atomic<uint64_t>& counter, uint64_t by = 1) {
    counter.fetch_add(by, std::memory_order_relaxed);
  }

  std::array<std::atomic<uint64_t>, 4> by_class_{};  // 2xx, 3xx, 4xx, 5xx
  std::array<std::atomic<uint64_t>, ServerFigures::kLatencyBoundsMs.size() + 1> buckets_{};
  std::atomic<uint64_t> latency_sum_us_{0};
  std::atomic<uint64_t> bytes_{0};
  std::atomic<uint64_t> open_{0};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> refused_{0};
  std::atomic<uint64_t> evicted_{0};
  std::atomic<uint64_t> timeouts_{0};
  std::atomic<uint64_t> cut_{0};
};

}  // namespace looplive::http::detail
