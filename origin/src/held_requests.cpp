#include "held_requests.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace looplive::origin {

void HeldRequests::hold(const std::string& stream_id, Clock::time_point deadline, Attempt attempt,
                        GiveUp give_up) {
  {
    std::lock_guard lock(mutex_);
    held_[stream_id].push_back({deadline, std::move(attempt), std::move(give_up)});
    ++count_;
  }
  changed(stream_id);
}

std::vector<HeldRequests::Held> HeldRequests::take(const std::string& stream_id) {
  std::lock_guard lock(mutex_);
  const auto found = held_.find(stream_id);
  if (found == held_.end()) return {};
  std::vector<Held> taken = std::move(found->second);
  held_.erase(found);
  count_ -= taken.size();
  return taken;
}

void HeldRequests::put_back(const std::string& stream_id, std::vector<Held> still_waiting) {
  if (still_waiting.empty()) return;
  std::lock_guard lock(mutex_);
  count_ += still_waiting.size();
  auto& list = held_[stream_id];
  for (auto& held : still_waiting) list.push_back(std::move(held));
}

// Attempts run outside the lock: they answer requests, which may take a while.
void HeldRequests::changed(const std::string& stream_id) {
  std::vector<Held> waiting = take(stream_id);
  if (waiting.empty()) return;
  std::vector<Held> still_waiting;
  for (auto& held : waiting) {
    if (!held.attempt()) still_waiting.push_back(std::move(held));
  }
  put_back(stream_id, std::move(still_waiting));
}

void HeldRequests::expire(Clock::time_point now) {
  std::vector<Held> overdue;
  {
    std::lock_guard lock(mutex_);
    for (auto it = held_.begin(); it != held_.end();) {
      auto& list = it->second;
      const auto late = std::partition(list.begin(), list.end(),
                                       [&](const Held& held) { return held.deadline > now; });
      for (auto held = late; held != list.end(); ++held) overdue.push_back(std::move(*held));
      count_ -= static_cast<size_t>(list.end() - late);
      list.erase(late, list.end());
      it = list.empty() ? held_.erase(it) : std::next(it);
    }
  }
  for (auto& held : overdue) held.give_up();
}

void HeldRequests::release_all() {
  expire(Clock::time_point::max());
}

bool HeldRequests::waiting_on(const std::string& stream_id) const {
  std::lock_guard lock(mutex_);
  return held_.contains(stream_id);
}

size_t HeldRequests::size() const {
  std::lock_guard lock(mutex_);
  return count_;
}

}  // namespace looplive::origin
