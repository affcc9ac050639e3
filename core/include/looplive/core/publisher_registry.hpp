#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "looplive/core/packet_sink.hpp"

namespace looplive::core {

// A publish starting (claimed) or stopping (released), for whoever must know
// of publishes without seeing their packets (the stream lifecycle).
struct PublisherEvent {
  enum class Kind { claimed, released };
  Kind kind = Kind::claimed;
  std::string stream_id;
  uint64_t token = 0;   // the publish's; a later publish has a larger one
  bool record = false;  // claimed: whether it is recorded
  EndReason reason = EndReason::publisher_closed;  // released: why it stopped
};

// Which streams have a publisher right now. Touched when a publish starts or
// stops, never per packet. A stream has at most one publisher: a second one is
// refused and the first is left undisturbed.
class PublisherRegistry {
 public:
  using Kick = std::function<void()>;
  using Listener = std::function<void(const PublisherEvent&)>;

  // Returns a token to release with, or nothing when the stream already has a publisher.
  std::optional<uint64_t> claim(const PublishGrant& grant, Kick kick);
  // Called once the publish's sink has finished, so that a listener hears of
  // the end after the packager has taken the last packet.
  void release(const std::string& stream_id, uint64_t token, EndReason reason);
  // Asks the stream's publisher to disconnect; false when there is none.
  bool kick(const std::string& stream_id);
  bool is_live(const std::string& stream_id) const;
  size_t live_count() const;

  // The one listener, told of every claim and release in order. It runs on
  // the publisher's thread under the registry's lock, so it must only hand
  // the event on (post it) and never call the registry; once listen({})
  // returns, it is not running and never will be.
  void listen(Listener listener);

 private:
  struct Entry {
    uint64_t token;
    Kick kick;
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  uint64_t next_token_ = 1;
  Listener listener_;
};

}  // namespace looplive::core
