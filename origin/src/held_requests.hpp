#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "looplive/origin/origin_service.hpp"

namespace looplive::origin {

// Requests that wait for a live stream to move on: LL-HLS blocking playlist
// reloads and preload-hinted parts asked for before they exist. Each is
// retried when its stream changes and answered the moment it can be, or at
// its deadline. Thread-safe: streams change on their packaging threads,
// requests arrive on I/O threads, deadlines pass on a timer.
class HeldRequests {
 public:
  using Clock = std::chrono::steady_clock;
  // Answers the request if it can be answered now, reading the stream from
  // `now` (what the stream's other held requests also see, asked once); true
  // when it did.
  using Attempt = std::function<bool(const LiveSource& now)>;
  // Answers it as overdue (or as the server stops).
  using GiveUp = std::function<void()>;

  explicit HeldRequests(const LiveSource& source) : source_(source) {}

  // Holds a request that could not be answered at once. It is tried once
  // more right away (alone: the stream's other requests have not changed),
  // so a change between the caller's check and this call is not missed.
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
  // Whether any request waits on the stream.
  bool waits_on(const std::string& stream_id) const;

 private:
  struct Held {
    Clock::time_point deadline;
    Attempt attempt;
    GiveUp give_up;
  };
  struct Waiting {
    std::vector<Held> held;   // tried since the last change, not answerable then
    std::vector<Held> fresh;  // held since the last try, not tried yet
    uint64_t changes = 0;     // changed() calls so far
    bool trying = false;      // a thread is trying the stream's requests
  };
  // Tries the stream's fresh requests, and all of them when it changed,
  // until neither is left for this thread to do.
  void try_requests(const std::string& stream_id, bool stream_changed);

  const LiveSource& source_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Waiting> streams_;
  size_t count_ = 0;  // held, including those being tried
  bool released_ = false;
};

}  // namespace looplive::origin
