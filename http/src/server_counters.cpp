#include "server_counters.hpp"

#include <algorithm>

namespace looplive::http::detail {

void ServerCounters::on_response(unsigned status, double latency_ms, uint64_t bytes) {
  unsigned status_class = status / 100;
  if (status_class >= 2 && status_class <= 5) bump(by_class_[status_class - 2]);
  const auto& bounds = ServerFigures::kLatencyBoundsMs;
  size_t bucket =
      size_t(std::lower_bound(bounds.begin(), bounds.end(), latency_ms) - bounds.begin());
  bump(buckets_[bucket]);
  bump(latency_sum_us_, uint64_t(latency_ms * 1000));
  bump(bytes_, bytes);
}

ServerFigures ServerCounters::snapshot() const {
  auto load = [](const std::atomic<uint64_t>& counter) {
    return counter.load(std::memory_order_relaxed);
  };
  ServerFigures stats;
  stats.responses_2xx = load(by_class_[0]);
  stats.responses_3xx = load(by_class_[1]);
  stats.responses_4xx = load(by_class_[2]);
  stats.responses_5xx = load(by_class_[3]);
  for (size_t i = 0; i < buckets_.size(); ++i) stats.latency_buckets[i] = load(buckets_[i]);
  stats.latency_sum_ms = double(load(latency_sum_us_)) / 1000;
  stats.bytes_sent = load(bytes_);
  stats.connections_open = load(open_);
  stats.connections_accepted = load(accepted_);
  stats.connections_refused = load(refused_);
  stats.connections_evicted = load(evicted_);
  stats.timeouts = load(timeouts_);
  stats.connections_cut = load(cut_);
  return stats;
}

}  // namespace looplive::http::detail
