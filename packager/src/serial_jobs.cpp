#include "serial_jobs.hpp"

#include <exception>
#include <utility>

#include "looplive/core/log.hpp"

namespace looplive::packager {

SerialJobs::SerialJobs(DiskExecutor executor)
    : executor_(std::move(executor)), queue_(std::make_shared<Queue>()) {}

SerialJobs::~SerialJobs() {
  drain();
}

void SerialJobs::push(std::function<void()> job) {
  if (!executor_) {
    job();
    return;
  }
  std::unique_lock lock(queue_->mutex);
  queue_->jobs.push_back(std::move(job));
  ++queue_->pending;
  if (queue_->running || queue_->scheduled) return;
  queue_->scheduled = true;
  lock.unlock();
  executor_([queue = queue_] {
    std::unique_lock run_lock(queue->mutex);
    queue->scheduled = false;
    if (!queue->running) queue->run_all(run_lock);
  });
}

void SerialJobs::drain() {
  std::unique_lock lock(queue_->mutex);
  queue_->idle.wait(lock, [this] { return !queue_->running; });
  queue_->run_all(lock);
}

size_t SerialJobs::pending() const {
  std::lock_guard lock(queue_->mutex);
  return queue_->pending;
}

void SerialJobs::Queue::run_all(std::unique_lock<std::mutex>& lock) {
  running = true;
  while (!jobs.empty()) {
    std::function<void()> job = std::move(jobs.front());
    jobs.pop_front();
    lock.unlock();
    try {
      job();
    } catch (const std::exception& error) {
      core::logger("packager")->error("file write failed: {}", error.what());
    }
    lock.lock();
    --pending;
  }
  running = false;
  idle.notify_all();
}

}  // namespace looplive::packager
