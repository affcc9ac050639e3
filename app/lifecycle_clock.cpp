#include "lifecycle_clock.hpp"

#include <algorithm>
#include <atomic>

namespace looplive::app {

namespace {

std::atomic<LifecycleClock::rep> skipped{0};
std::atomic<bool> ever_skipped{false};
constexpr LifecycleClock::duration kLongestWaitOnceSkipped = std::chrono::milliseconds(10);

}  // namespace

LifecycleClock::time_point LifecycleClock::now() noexcept {
  const auto steady = std::chrono::steady_clock::now().time_since_epoch();
  return time_point(steady + duration(skipped.load(std::memory_order_relaxed)));
}

void LifecycleClock::skip(duration by) noexcept {
  ever_skipped.store(true);
  skipped.fetch_add(by.count());
}

LifecycleClock::duration LifecycleWaitTraits::to_wait_duration(
    const LifecycleClock::duration& wait) {
  if (!ever_skipped.load(std::memory_order_relaxed)) return wait;
  return std::min(wait, kLongestWaitOnceSkipped);
}

LifecycleClock::duration LifecycleWaitTraits::to_wait_duration(
    const LifecycleClock::time_point& until) {
  return to_wait_duration(until - LifecycleClock::now());
}

}  // namespace looplive::app
