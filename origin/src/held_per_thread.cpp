#include "held_per_thread.hpp"

#include <boost/asio/execution/context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>

namespace looplive::origin {

namespace net = boost::asio;

HeldRequests& HeldPerThread::on(const net::any_io_executor& executor) {
  const void* context = &net::query(executor, net::execution::context);
  std::lock_guard lock(mutex_);
  for (const auto& thread : threads_)
    if (thread->context == context) return thread->held;
  auto& added = threads_.emplace_back(std::make_shared<Thread>(context, executor, source_));
  if (released_) added->held.release_all();
  return added->held;
}

std::vector<std::shared_ptr<HeldPerThread::Thread>> HeldPerThread::threads() const {
  std::lock_guard lock(mutex_);
  return threads_;
}

// Called on a packaging thread for every part of every stream: a thread with
// nothing held on the stream costs a look-up, not a post.
void HeldPerThread::changed(const std::string& stream_id) {
  for (auto& thread : threads()) {
    if (!thread->held.waits_on(stream_id)) continue;
    // The post owns the thread's requests: what it answers may outlive the caller.
    net::post(thread->executor, [thread, stream_id] { thread->held.changed(stream_id); });
  }
}

void HeldPerThread::expire(HeldRequests::Clock::time_point now) {
  for (auto& thread : threads()) thread->held.expire(now);
}

void HeldPerThread::release_all() {
  {
    std::lock_guard lock(mutex_);
    released_ = true;
  }
  for (auto& thread : threads()) thread->held.release_all();
}

size_t HeldPerThread::size() const {
  size_t count = 0;
  for (const auto& thread : threads()) count += thread->held.size();
  return count;
}

}  // namespace looplive::origin
