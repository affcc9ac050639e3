#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace looplive::core {

// A lock-free histogram of durations in seconds, for Prometheus. Observed
// from any thread; read as a snapshot that may be a few observations apart
// between buckets, which a scrape tolerates.
class LatencyHistogram {
 public:
  static constexpr std::array<double, 12> kBoundsSeconds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                            0.1,   0.25,   0.5,   1,    2.5,   5};

  struct Snapshot {
    std::array<uint64_t, kBoundsSeconds.size() + 1> buckets{};  // not cumulative; last is +Inf
    uint64_t count = 0;
    double sum_seconds = 0;
  };

  void observe(double seconds) {
    size_t bucket = 0;
    while (bucket < kBoundsSeconds.size() && seconds > kBoundsSeconds[bucket]) ++bucket;
    buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
    sum_micros_.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
  }

  Snapshot snapshot() const {
    Snapshot out;
    for (size_t i = 0; i < buckets_.size(); ++i) {
      out.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
      out.count += out.buckets[i];
    }
    out.sum_seconds = static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6;
    return out;
  }

 private:
  std::array<std::atomic<uint64_t>, kBoundsSeconds.size() + 1> buckets_{};
  std::atomic<uint64_t> sum_micros_{0};
};

}  // namespace looplive::core
