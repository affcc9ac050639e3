#include "tag_rate.hpp"

#include <algorithm>

namespace looplive::control_api {

bool TagRate::take(const std::string& stream_id, std::chrono::steady_clock::time_point now) {
  const double capacity = 2 * per_second_;
  const auto refilled = [&](const Bucket& bucket) {
    const std::chrono::duration<double> elapsed = now - bucket.at;
    return std::min(capacity, bucket.tokens + elapsed.count() * per_second_);
  };
  std::lock_guard lock(mutex_);
  if (buckets_.size() > kPruneAbove) {
    // A full bucket is the same as none: only streams tagging now stay.
    std::erase_if(buckets_, [&](const auto& entry) { return refilled(entry.second) >= capacity; });
  }
  const auto [found, made] = buckets_.try_emplace(stream_id, Bucket{capacity, now});
  Bucket& bucket = found->second;
  bucket.tokens = made ? capacity : refilled(bucket);
  bucket.at = now;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

}  // namespace looplive::control_api
