#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace looplive::core {

// Which streams have a publisher right now. Touched when a publish starts or
// stops, never per packet. A stream has at most one publisher: a second one is
// refused and the first is left undisturbed.
class PublisherRegistry {
 public:
  using Kick = std::function<void()>;

  // Returns a token to release with, or nothing when the stream already has a publisher.
  std::optional<uint64_t> claim(const std::string& stream_id, Kick kick);
  void release(const std::string& stream_id, uint64_t token);
  // Asks the stream's publisher to disconnect; false when there is none.
  bool kick(const std::string& stream_id);
  bool is_live(const std::string& stream_id) const;
  size_t live_count() const;

 private:
  struct Entry {
    uint64_t token;
    Kick kick;
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  uint64_t next_token_ = 1;
};

}  // namespace looplive::core
