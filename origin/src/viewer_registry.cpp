#include "viewer_registry.hpp"

#include <algorithm>
#include <deque>
#include <mutex>

namespace looplive::origin {

using Duration = std::chrono::steady_clock::duration;

// Keeps the number of current sessions up to date in O(1) per request: every
// request is queued with the session's generation, and when it falls out of
// the window it ends the session's currency only if nothing newer came since.
// Such a request then waits in a second queue to forget the session the same way.
class ViewerRegistry::Stream {
 public:
  explicit Stream(Duration target)
      : target_(target),
        window_(2 * target),
        forget_after_(std::max<Duration>(kForgetAfter, 2 * window_)) {}

  void touch(ViewerKey viewer, TimePoint now) {
    std::lock_guard lock(mutex_);
    now = std::max(now, last_activity_);  // an injected clock may not be monotonic
    expire(now);
    uint64_t key = viewer.session;
    if (!sessions_.contains(key) && claimed_all(viewer.address)) key = overflow_key(viewer.address);
    auto [session, inserted] = sessions_.try_emplace(key, Session{now, 0, viewer.address});
    if (inserted) {
      ++per_address_[viewer.address];
      ++current_;
    } else {
      if (session->second.last + window_ < now) ++current_;  // back after a pause
      watched_ += now - session->second.last;
      session->second.last = now;
    }
    recent_.push_back({now, key, ++session->second.generation});
    peak_ = std::max(peak_, current_);
    last_activity_ = now;
  }

  ViewerFigures figures(TimePoint now) {
    std::lock_guard lock(mutex_);
    expire(std::max(now, last_activity_));
    const uint64_t unique = forgotten_ + sessions_.size();
    ViewerFigures figures{current_, peak_, unique, std::nullopt};
    if (unique > 0) {
      auto total = watched_ + target_ * int64_t(unique);
      figures.average_watch_seconds = std::chrono::duration<double>(total).count() / double(unique);
    }
    return figures;
  }

  bool idle_since(TimePoint cutoff) {
    std::lock_guard lock(mutex_);
    return last_activity_ < cutoff;
  }

  size_t held() {
    std::lock_guard lock(mutex_);
    return sessions_.size();
  }

 private:
  struct Session {
    TimePoint last;
    uint64_t generation;
    uint64_t address;
  };
  struct Request {
    TimePoint at;
    uint64_t session;
    uint64_t generation;
  };

  bool claimed_all(uint64_t address) const {
    const auto found = per_address_.find(address);
    return found != per_address_.end() && found->second >= kMaxSessionsPerAddress;
  }
  // The one session that stands for everything an address claims beyond its share.
  static uint64_t overflow_key(uint64_t address) { return address ^ 0x6f766572666c6f77; }

  void expire(TimePoint now) {
    while (!recent_.empty() && recent_.front().at + window_ < now) {
      const Request& request = recent_.front();
      auto session = sessions_.find(request.session);
      if (session != sessions_.end() && session->second.generation == request.generation) {
        --current_;
        idle_.push_back(request);
      }
      recent_.pop_front();
    }
    while (!idle_.empty() && idle_.front().at + forget_after_ < now) {
      const Request& request = idle_.front();
      auto session = sessions_.find(request.session);
      if (session != sessions_.end() && session->second.generation == request.generation) {
        auto claimed = per_address_.find(session->second.address);
        if (claimed != per_address_.end() && --claimed->second == 0) per_address_.erase(claimed);
        sessions_.erase(session);
        ++forgotten_;
      }
      idle_.pop_front();
    }
  }

  const Duration target_;
  const Duration window_;
  const Duration forget_after_;
  std::mutex mutex_;
  std::unordered_map<uint64_t, Session> sessions_;
  std::unordered_map<uint64_t, uint32_t> per_address_;  // sessions held per client address
  std::deque<Request> recent_;                          // within the window, oldest first
  std::deque<Request> idle_;  // last requests of sessions no longer current, oldest first
  uint64_t current_ = 0;
  uint64_t peak_ = 0;
  uint64_t forgotten_ = 0;
  Duration watched_{0};  // the sum over sessions of last - first
  TimePoint last_activity_{};
};

ViewerRegistry::ViewerRegistry(std::chrono::milliseconds target_duration,
                               std::chrono::seconds retention)
    : target_(target_duration), retention_(retention) {}

ViewerRegistry::~ViewerRegistry() = default;

std::shared_ptr<ViewerRegistry::Stream> ViewerRegistry::find(const std::string& stream_id) const {
  std::shared_lock lock(mutex_);
  auto found = streams_.find(stream_id);
  return found == streams_.end() ? nullptr : found->second;
}

void ViewerRegistry::touch(const std::string& stream_id, ViewerKey viewer, TimePoint now) {
  auto stream = find(stream_id);
  if (!stream) {
    std::unique_lock lock(mutex_);
    auto& slot = streams_[stream_id];
    if (!slot) slot = std::make_shared<Stream>(target_);
    stream = slot;
  }
  stream->touch(viewer, now);
}

ViewerFigures ViewerRegistry::figures(const std::string& stream_id, TimePoint now) const {
  auto stream = find(stream_id);
  return stream ? stream->figures(now) : ViewerFigures{};
}

std::vector<std::pair<std::string, ViewerFigures>> ViewerRegistry::all_figures(
    TimePoint now) const {
  std::vector<std::pair<std::string, std::shared_ptr<Stream>>> streams;
  {
    std::shared_lock lock(mutex_);
    streams.assign(streams_.begin(), streams_.end());
  }
  std::vector<std::pair<std::string, ViewerFigures>> out;
  out.reserve(streams.size());
  for (auto& [id, stream] : streams) out.emplace_back(id, stream->figures(now));
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.first < b.first; });
  return out;
}

void ViewerRegistry::sweep(TimePoint now) {
  std::vector<std::string> idle;
  for (auto& [id, figures] : all_figures(now)) {
    auto stream = find(id);
    if (stream && stream->idle_since(now - retention_)) idle.push_back(id);
  }
  if (idle.empty()) return;
  auto cutoff = now - retention_;
  std::unique_lock lock(mutex_);
  for (const auto& id : idle) {
    auto found = streams_.find(id);  // it may have been requested since
    if (found != streams_.end() && found->second->idle_since(cutoff)) streams_.erase(found);
  }
}

size_t ViewerRegistry::held_sessions(const std::string& stream_id) const {
  auto stream = find(stream_id);
  return stream ? stream->held() : 0;
}

void ViewerRegistry::forget(const std::string& stream_id) {
  std::unique_lock lock(mutex_);
  streams_.erase(stream_id);
}

}  // namespace looplive::origin
