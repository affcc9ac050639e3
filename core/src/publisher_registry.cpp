#include "looplive/core/publisher_registry.hpp"

namespace looplive::core {

std::optional<uint64_t> PublisherRegistry::claim(const PublishGrant& grant, Kick kick) {
  std::lock_guard lock(mutex_);
  if (entries_.contains(grant.stream_id)) return std::nullopt;
  uint64_t token = next_token_++;
  entries_.emplace(grant.stream_id, Entry{token, std::move(kick)});
  if (listener_) {
    listener_(PublisherEvent{PublisherEvent::Kind::claimed, grant.stream_id, token, grant.record,
                             EndReason::publisher_closed});
  }
  return token;
}

void PublisherRegistry::release(const std::string& stream_id, uint64_t token, EndReason reason) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(stream_id);
  if (it == entries_.end() || it->second.token != token) return;
  entries_.erase(it);
  if (listener_) {
    listener_(PublisherEvent{PublisherEvent::Kind::released, stream_id, token, false, reason});
  }
}

void PublisherRegistry::listen(Listener listener) {
  std::lock_guard lock(mutex_);
  listener_ = std::move(listener);
}

bool PublisherRegistry::kick(const std::string& stream_id) {
  Kick kick;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(stream_id);
    if (it == entries_.end()) return false;
    kick = it->second.kick;
  }
  // Outside the lock: the publisher's kick posts to its own strand and may release.
  if (kick) kick();
  return true;
}

bool PublisherRegistry::is_live(const std::string& stream_id) const {
  std::lock_guard lock(mutex_);
  return entries_.contains(stream_id);
}

size_t PublisherRegistry::live_count() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace looplive::core
