#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "client_identity.hpp"
#include "looplive/origin/origin_service.hpp"

namespace looplive::origin {

// Viewer sessions per stream. Each stream has its own lock, so requests for
// different streams never wait on each other; the map of streams is locked
// only briefly, and exclusively only when a stream appears or goes.
class ViewerRegistry {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // A session is current for two target durations after its last request,
  // and is credited one target duration of watching for the last file it fetched.
  // One not seen for a minute is forgotten (its figures kept): back later, it
  // is a new session. One client address has at most 64 sessions a stream at
  // a time; what it claims beyond them counts as one more.
  ViewerRegistry(std::chrono::milliseconds target_duration, std::chrono::seconds retention);
  ~ViewerRegistry();

  static constexpr uint32_t kMaxSessionsPerAddress = 64;
  static constexpr std::chrono::seconds kForgetAfter{60};

  void touch(const std::string& stream_id, ViewerKey viewer, TimePoint now);
  ViewerFigures figures(const std::string& stream_id, TimePoint now) const;
  std::vector<std::pair<std::string, ViewerFigures>> all_figures(TimePoint now) const;
  // Expires sessions so the peak also sees drops between requests, and forgets
  // streams nobody requested for `retention`.
  void sweep(TimePoint now);
  void forget(const std::string& stream_id);
  // Sessions held in memory for a stream (not yet forgotten).
  size_t held_sessions(const std::string& stream_id) const;

 private:
  class Stream;
  std::shared_ptr<Stream> find(const std::string& stream_id) const;

  const std::chrono::steady_clock::duration target_;
  const std::chrono::steady_clock::duration retention_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<Stream>> streams_;
};

}  // namespace looplive::origin
