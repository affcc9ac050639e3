#pragma once

#include <deque>
#include <vector>

#include "looplive/core/media_types.hpp"
#include "looplive/core/packet_sink.hpp"

namespace looplive::transcode {

// Puts the packets of several tracks, each arriving in its own order (and
// late by its encoder's delay), into one sequence of non-decreasing decode
// time in seconds, as a muxer interleaves. A packet goes out once every
// other track has a later one queued (or has ended), so nothing can come
// before it any more.
class PacketInterleaver {
 public:
  explicit PacketInterleaver(const std::vector<core::TrackInfo>& tracks);

  void push(core::MediaPacket packet);
  // Hands on what can go now; with `all` (the end), everything queued.
  void drain(core::PacketSink& sink, bool all);

 private:
  struct Queue {
    uint8_t id = 0;
    uint32_t timescale = 1;
    std::deque<core::MediaPacket> packets;
  };
  // The queue whose head comes first; nullptr: every queue empty.
  Queue* earliest();

  std::vector<Queue> queues_;
};

}  // namespace looplive::transcode
