#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace looplive::ingest {

// How much a publisher's socket lets the kernel buffer before it wakes the
// server (SO_RCVLOWAT): about `window` of the publisher's own byte rate. A
// 2.5 Mbit/s encoder sends a TCP segment every few milliseconds; waking once
// per batch instead of once per segment is most of what ingest costs in CPU.
// The mark follows the rate measured each tick, so a publisher that slows
// down or pauses is held back at most one tick before the mark drops.
class ReceiveBatching {
 public:
  static constexpr std::chrono::milliseconds kTick{500};
  static constexpr int kMaxMark = 64 * 1024;

  explicit ReceiveBatching(std::chrono::milliseconds window) : window_(window) {}

  bool enabled() const { return window_.count() > 0; }
  int mark() const { return mark_; }

  // The mark to set after a tick in which `bytes` arrived over `elapsed`, or
  // nothing when the one set is close enough to leave alone.
  std::optional<int> after_tick(uint64_t bytes, std::chrono::steady_clock::duration elapsed);
  // The mark to set when batching stops (so commands are answered at once), if not 1 already.
  std::optional<int> stop();
  // The publisher announced it waits for an acknowledgement every `window`
  // bytes: the mark stays under half of that, or the publisher would stop
  // sending for an acknowledgement that waits on the mark. Returns the mark
  // to set when the one set is above that.
  std::optional<int> fit_ack_window(uint32_t window);

 private:
  std::chrono::milliseconds window_;
  int cap_ = kMaxMark;
  int mark_ = 1;
};

}  // namespace looplive::ingest
