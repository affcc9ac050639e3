#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

#include "looplive/packager/packager.hpp"

namespace looplive::packager {

// A stream's file writes, run one at a time and in the order they were
// pushed, on the threads of a DiskExecutor, so the thread that muxes (an RTMP
// connection's I/O thread) never waits on the disk. Without an executor a job
// runs inside push().
class SerialJobs {
 public:
  explicit SerialJobs(DiskExecutor executor);
  // Runs what is still queued: the jobs may point at their owner.
  ~SerialJobs();
  SerialJobs(const SerialJobs&) = delete;
  SerialJobs& operator=(const SerialJobs&) = delete;

  void push(std::function<void()> job);
  // Returns once every job pushed so far has run. Runs queued jobs itself
  // rather than waiting for an executor thread, which may be busy with this
  // very call: call it from a thread that may block.
  void drain();
  // Jobs pushed and not yet finished.
  size_t pending() const;

 private:
  struct Queue {
    mutable std::mutex mutex;
    std::condition_variable idle;
    std::deque<std::function<void()>> jobs;
    size_t pending = 0;
    bool running = false;    // a thread is taking jobs
    bool scheduled = false;  // a run is submitted to the executor
    void run_all(std::unique_lock<std::mutex>& lock);
  };

  DiskExecutor executor_;
  std::shared_ptr<Queue> queue_;  // shared with submitted runs, which may outlive this
};

}  // namespace looplive::packager
