#include "receive_batching.hpp"

#include <algorithm>

namespace looplive::ingest {

std::optional<int> ReceiveBatching::wake_after(size_t bytes) {
  if (!enabled_) return std::nullopt;
  const int target = static_cast<int>(std::clamp<size_t>(bytes, 1, static_cast<size_t>(cap_)));
  if (target == mark_) return std::nullopt;
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
