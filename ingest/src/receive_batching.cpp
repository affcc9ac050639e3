#include "receive_batching.hpp"

#include <algorithm>

namespace looplive::ingest {

std::optional<int> ReceiveBatching::after_tick(uint64_t bytes,
                                               std::chrono::steady_clock::duration elapsed) {
  if (!enabled()) return std::nullopt;
  const auto elapsed_us = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
  const auto window_us = std::chrono::duration_cast<std::chrono::microseconds>(window_).count();
  const double wanted = elapsed_us > 0
                            ? static_cast<double>(bytes) * static_cast<double>(window_us) /
                                  static_cast<double>(elapsed_us)
                            : 1.0;
  const int target = static_cast<int>(std::clamp(wanted, 1.0, static_cast<double>(cap_)));
  // Lower at once when the rate fell (data must not wait); otherwise move only
  // for a change of a quarter or more, which saves a system call per tick.
  const bool fell = target < mark_ * 3 / 4 || (target == 1 && mark_ > 1);
  const bool rose = target > mark_ + mark_ / 4;
  if (!fell && !rose) return std::nullopt;
  mark_ = target;
  return mark_;
}

std::optional<int> ReceiveBatching::fit_ack_window(uint32_t window) {
  if (window == 0) return std::nullopt;
  cap_ = static_cast<int>(std::clamp<uint32_t>(window / 2, 1, kMaxMark));
  if (mark_ <= cap_) return std::nullopt;
  mark_ = cap_;
  return mark_;
}

std::optional<int> ReceiveBatching::stop() {
  if (mark_ == 1) return std::nullopt;
  mark_ = 1;
  return mark_;
}

}  // namespace looplive::ingest
