#include "held_requests.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

#include "pass_source.hpp"

namespace looplive::origin {

namespace {

// Moves the requests whose deadline has passed from `list` to `overdue`; how many.
template <typename Held>
size_t take_overdue(std::vector<Held>& list, std::chrono::steady_clock::time_point now,
                    std::vector<Held>& overdue) {
  const auto late = std::partition(list.begin(), list.end(),
                                   [&](const Held& held) { return held.deadline > now; });
  const auto count = static_cast<size_t>(list.end() - late);
  std::move(late, list.end(), std::back_inserter(overdue));
  list.erase(late, list.end());
  return count;
}

}  // namespace

void HeldRequests::hold(const std::string& stream_id, Clock::time_point deadline, Attempt attempt,
                        GiveUp give_up) {
  {
    std::lock_guard lock(mutex_);
    if (!released_) {
      streams_[stream_id].fresh.push_back({deadline, std::move(attempt), std::move(give_up)});
      ++count_;
      give_up = nullptr;
    }
  }
  if (give_up) return give_up();
  try_requests(stream_id, false);
}

void HeldRequests::changed(const std::string& stream_id) {
  try_requests(stream_id, true);
}

// Attempts run outside the lock: they answer requests, which takes a while.
// Thousands of viewers ask for the same part within milliseconds: each new
// request is tried alone, so holding N of them costs N tries, not N * N.
void HeldRequests::try_requests(const std::string& stream_id, bool stream_changed) {
  std::vector<Held> batch;
  uint64_t seen = 0;
  {
    std::lock_guard lock(mutex_);
    const auto found = streams_.find(stream_id);
    if (found == streams_.end()) return;
    Waiting& waiting = found->second;
    if (stream_changed) ++waiting.changes;
    if (waiting.trying) return;  // the thread trying them sees the change or the fresh ones
    waiting.trying = true;
    if (stream_changed) batch = std::exchange(waiting.held, {});
    std::move(waiting.fresh.begin(), waiting.fresh.end(), std::back_inserter(batch));
    waiting.fresh.clear();
    seen = waiting.changes;
  }
  for (;;) {
    std::vector<Held> still;
    size_t answered = 0;
    const PassSource now(source_);
    for (auto& held : batch) {
      if (held.attempt(now)) {
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
      batch.clear();
      if (released_) {
        for (auto* list : {&waiting.held, &waiting.fresh}) {
          count_ -= list->size();
          std::move(list->begin(), list->end(), std::back_inserter(released));
          list->clear();
        }
      } else {
        if (waiting.changes != seen) {
          seen = waiting.changes;
          batch = std::exchange(waiting.held, {});
        }
        std::move(waiting.fresh.begin(), waiting.fresh.end(), std::back_inserter(batch));
        waiting.fresh.clear();
        again = !batch.empty();
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
      Waiting& waiting = it->second;
      count_ -= take_overdue(waiting.held, now, overdue);
      count_ -= take_overdue(waiting.fresh, now, overdue);
      const bool empty = waiting.held.empty() && waiting.fresh.empty();
      it = empty && !waiting.trying ? streams_.erase(it) : std::next(it);
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

bool HeldRequests::waits_on(const std::string& stream_id) const {
  std::lock_guard lock(mutex_);
  return streams_.contains(stream_id);
}

size_t HeldRequests::size() const {
  std::lock_guard lock(mutex_);
  return count_;
}

}  // namespace looplive::origin
