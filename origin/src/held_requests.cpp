#include "held_requests.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace looplive::origin {

void HeldRequests::hold(const std::string& stream_id, Clock::time_point deadline, Attempt attempt,
                        GiveUp give_up) {
  {
    std::lock_guard lock(mutex_);
    if (!released_) {
      streams_[stream_id].held.push_back({deadline, std::move(attempt), std::move(give_up)});
      ++count_;
      give_up = nullptr;
    }
  }
  if (give_up) return give_up();
  changed(stream_id);
}

// Attempts run outside the lock: they answer requests, which takes a while.
void HeldRequests::changed(const std::string& stream_id) {
  std::vector<Held> batch;
  uint64_t seen = 0;
  {
    std::lock_guard lock(mutex_);
    const auto found = streams_.find(stream_id);
    if (found == streams_.end()) return;
    Waiting& waiting = found->second;
    ++waiting.changes;
    if (waiting.trying) return;  // the thread trying them sees the change and tries again
    waiting.trying = true;
    batch = std::exchange(waiting.held, {});
    seen = waiting.changes;
  }
  for (;;) {
    std::vector<Held> still;
    size_t answered = 0;
    for (auto& held : batch) {
      if (held.attempt()) {
        ++answered;
      } else {
        still.push_back(std::move(held));
      }
    }
    std::vector<Held> released;
    bool again = false;
    {
      std::lock_guard lock(mutex_);
      count_ -= answered;
      Waiting& waiting = streams_[stream_id];  // kept while `trying`
      for (auto& held : still) waiting.held.push_back(std::move(held));
      if (released_) {
        count_ -= waiting.held.size();
        released = std::exchange(waiting.held, {});
      } else if (waiting.changes != seen) {
        seen = waiting.changes;
        batch = std::exchange(waiting.held, {});
        again = true;
      }
      if (!again) {
        waiting.trying = false;
        if (waiting.held.empty()) streams_.erase(stream_id);
      }
    }
    for (auto& held : released) held.give_up();
    if (!again) return;
  }
}

void HeldRequests::expire(Clock::time_point now) {
  std::vector<Held> overdue;
  {
    std::lock_guard lock(mutex_);
    for (auto it = streams_.begin(); it != streams_.end();) {
      auto& list = it->second.held;
      const auto late = std::partition(list.begin(), list.end(),
                                       [&](const Held& held) { return held.deadline > now; });
      for (auto held = late; held != list.end(); ++held) overdue.push_back(std::move(*held));
      count_ -= static_cast<size_t>(list.end() - late);
      list.erase(late, list.end());
      it = list.empty() && !it->second.trying ? streams_.erase(it) : std::next(it);
    }
  }
  for (auto& held : overdue) held.give_up();
}

void HeldRequests::release_all() {
  {
    std::lock_guard lock(mutex_);
    released_ = true;
  }
  expire(Clock::time_point::max());
}

size_t HeldRequests::size() const {
  std::lock_guard lock(mutex_);
  return count_;
}

}  // namespace looplive::origin
