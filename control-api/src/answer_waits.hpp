#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace looplive::control_api {

// Requests this process asked of another one (tags on a stream it does not
// package), each waiting on a timer before it looks for the answer again.
// When the answer's notification comes, its timer fires at once.
class AnswerWaits {
 public:
  void waiting(uint64_t request_id, const std::shared_ptr<boost::asio::steady_timer>& timer) {
    std::lock_guard lock(mutex_);
    timers_[request_id] = timer;
  }
  void done(uint64_t request_id) {
    std::lock_guard lock(mutex_);
    timers_.erase(request_id);
  }
  // Any thread.
  void answered(uint64_t request_id) {
    std::shared_ptr<boost::asio::steady_timer> timer;
    {
      std::lock_guard lock(mutex_);
      const auto it = timers_.find(request_id);
      if (it != timers_.end()) timer = it->second.lock();
    }
    if (timer) boost::asio::post(timer->get_executor(), [timer] { timer->cancel(); });
  }

 private:
  std::mutex mutex_;
  std::map<uint64_t, std::weak_ptr<boost::asio::steady_timer>> timers_;
};

}  // namespace looplive::control_api
