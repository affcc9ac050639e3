#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "held_requests.hpp"

namespace looplive::origin {

// Held requests kept apart by the I/O thread their connection lives on. A
// stream's change is tried on every thread that holds requests on it, each
// answering its own connections at the same time as the others, with no
// hand-over between threads: 5,000 viewers waiting on one part are answered by
// every core, not by the one that saw the part. Thread-safe.
class HeldPerThread {
 public:
  explicit HeldPerThread(const LiveSource& source) : source_(source) {}

  // The requests held on `executor`'s io_context (the connection's).
  HeldRequests& on(const boost::asio::any_io_executor& executor);
  // Has each thread holding requests on the stream try them, on that thread.
  void changed(const std::string& stream_id);
  void expire(HeldRequests::Clock::time_point now);
  // Gives up on every request, now and from now on (the server stops).
  void release_all();
  size_t size() const;

 private:
  struct Thread {
    Thread(const void* context, boost::asio::any_io_executor executor, const LiveSource& source)
        : context(context), executor(std::move(executor)), held(source) {}
    const void* context;  // the io_context
    boost::asio::any_io_executor executor;
    HeldRequests held;
  };
  std::vector<std::shared_ptr<Thread>> threads() const;

  const LiveSource& source_;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Thread>> threads_;  // one per io_context seen, never removed
  bool released_ = false;
};

}  // namespace looplive::origin
