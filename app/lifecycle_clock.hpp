#pragma once

// The clock of the lifecycle's timers (reconnect windows, owner leases, the
// wait for a kicked publisher): steady_clock plus whatever a test skipped, so
// a test sees a reconnect window lapse without sleeping through it, as the
// packager's and the origin's tests drive their own clocks.

#include <chrono>

#include <boost/asio/basic_waitable_timer.hpp>

namespace looplive::app {

struct LifecycleClock {
  using duration = std::chrono::steady_clock::duration;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<LifecycleClock>;
  static constexpr bool is_steady = true;

  static time_point now() noexcept;
  // Tests only: moves the clock of every lifecycle timer in the process ahead.
  static void skip(duration by) noexcept;
};

// Until a test skips, waits are what the timers ask for. From then on, no
// wait is longer than 10 ms, so a skip is noticed at once (the reactor only
// learns the time when it wakes).
struct LifecycleWaitTraits {
  static LifecycleClock::duration to_wait_duration(const LifecycleClock::duration& wait);
  static LifecycleClock::duration to_wait_duration(const LifecycleClock::time_point& until);
};

using LifecycleTimer = boost::asio::basic_waitable_timer<LifecycleClock, LifecycleWaitTraits>;

}  // namespace looplive::app
