#pragma once

#include <atomic>
#include <chrono>
#include <functional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

namespace looplive::control_api {

// Runs `work` on the blocking pool (it may wait on the database) every
// `interval`, counted from the end of the previous run, so runs never overlap.
class PeriodicWork {
 public:
  PeriodicWork(boost::asio::io_context& io, boost::asio::thread_pool& pool,
               std::chrono::milliseconds interval, std::function<void()> work);
  void start();
  void stop();  // no run starts after it; one under way finishes
  // Runs the work now rather than at the end of the interval; during a run,
  // once more right after it. Any thread.
  void wake();

 private:
  void arm();

  boost::asio::thread_pool& pool_;
  std::chrono::milliseconds interval_;
  std::function<void()> work_;
  boost::asio::steady_timer timer_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> woken_{false};
};

}  // namespace looplive::control_api
