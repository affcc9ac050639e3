#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace looplive::control_api {

// How fast each stream may take product tags: a token bucket per stream that
// refills at `per_second` and holds twice that, so a burst of cards at the
// start of a segment passes and a runaway client is held to the rate.
class TagRate {
 public:
  explicit TagRate(uint32_t per_second) : per_second_(per_second) {}
  // Whether the stream may place one more tag now; any thread.
  bool take(const std::string& stream_id, std::chrono::steady_clock::time_point now);

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point at;
  };
  static constexpr size_t kPruneAbove = 1024;  // buckets kept before the full ones go

  const double per_second_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace looplive::control_api
