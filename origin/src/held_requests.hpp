#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace looplive::origin {

// Requests that wait for a live stream to move on: LL-HLS blocking playlist
// reloads and preload-hinted parts asked for before they exist. Each is
// retried when its stream changes and answered the moment it can be, or at
// its deadline. Thread-safe: streams change on their packaging threads,
// requests arrive on I/O threads, deadlines pass on a timer.
class HeldRequests {
 public:
  using Clock = std::chrono::steady_clock;
  // Answers the request if it can be answered now; true when it did.
  using Attempt = std::function<bool()>;
  // Answers it as overdue (or as the server stops).
  using GiveUp = std::function<void()>;

  // Holds a request that could not be answered at once. It is tried again
  // right away, so a change between the caller's check and this call is not missed.
  void hold(const std::string& stream_id, Clock::time_point deadline, Attempt attempt,
            GiveUp give_up);
  // Tries every request waiting on the stream. A change that comes while
  // another thread is trying them makes that thread try them all again, so
  // no change is ever missed and a stream's requests are tried by one thread at a time.
  void changed(const std::string& stream_id);
  // Gives up on the requests whose deadline has passed.
  void expire(Clock::time_point now);
  // Gives up on every request, now and from now on (the server stops).
  void release_all();
  size_t size() const;

 private:
  struct Held {
    Clock::time_point deadline;
    Attempt attempt;
    GiveUp give_up;
  };
  struct Waiting {
    std::vector<Held> held;  // not being tried right now
    uint64_t changes = 0;    // changed() calls so far
    bool trying = false;     // a thread is trying the stream's requests
  };

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Waiting> streams_;
  size_t count_ = 0;  // held, including those being tried
  bool released_ = false;
};

}  // namespace looplive::origin
