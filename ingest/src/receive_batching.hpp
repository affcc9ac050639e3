#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace looplive::ingest {

// How much a publisher's socket lets the kernel buffer before it wakes the
// server (SO_RCVLOWAT): the rest of the RTMP message being read. A video
// frame comes in many TCP segments (one per chunk from some encoders); waking
// once it is whole instead of once per segment is most of what ingest costs
// in CPU, and adds no latency, since nothing can be done with part of a
// message. Between messages the mark is 1 byte, so a message that is complete
// is never held back for the next one.
class ReceiveBatching {
 public:
  static constexpr int kMaxMark = 64 * 1024;

  explicit ReceiveBatching(bool enabled) : enabled_(enabled) {}

  int mark() const { return mark_; }

  // The mark to set so that the kernel wakes the server once `bytes` more
  // have arrived (capped), or nothing when that mark is set already.
  std::optional<int> wake_after(size_t bytes);
  // The mark to set when batching stops (so commands are answered at once), if not 1 already.
  std::optional<int> stop();
  // The publisher announced it waits for an acknowledgement every `window`
  // bytes: the mark stays under half of that, or the publisher would stop
  // sending for an acknowledgement that waits on the mark. Returns the mark
  // to set when the one set is above that.
  std::optional<int> fit_ack_window(uint32_t window);

 private:
  bool enabled_;
  int cap_ = kMaxMark;
  int mark_ = 1;
};

}  // namespace looplive::ingest
