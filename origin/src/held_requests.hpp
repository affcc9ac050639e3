#pragma once

#include <chrono>
#include <cstddef>
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
  // Tries every request waiting on the stream.
  void changed(const std::string& stream_id);
  // Gives up on the requests whose deadline has passed.
  void expire(Clock::time_point now);
  // Gives up on every request (the server stops).
  void release_all();
  size_t size() const;
  bool waiting_on(const std::string& stream_id) const;

 private:
  struct Held {
    Clock::time_point deadline;
    Attempt attempt;
    GiveUp give_up;
  };
  std::vector<Held> take(const std::string& stream_id);
  void put_back(const std::string& stream_id, std::vector<Held> still_waiting);

  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::vector<Held>> held_;
  size_t count_ = 0;
};

}  // namespace looplive::origin
