#include "packet_interleaver.hpp"

#include <algorithm>

namespace looplive::transcode {

PacketInterleaver::PacketInterleaver(const std::vector<core::TrackInfo>& tracks) {
  for (const core::TrackInfo& track : tracks)
    queues_.push_back(Queue{track.id, std::max<uint32_t>(1, track.timescale), {}});
}

void PacketInterleaver::push(core::MediaPacket packet) {
  for (Queue& queue : queues_)
    if (queue.id == packet.track) queue.packets.push_back(std::move(packet));
}

PacketInterleaver::Queue* PacketInterleaver::earliest() {
  Queue* first = nullptr;
  for (Queue& queue : queues_) {
    if (queue.packets.empty()) continue;
    // Exact: a / x < b / y  <=>  a * y < b * x (timescales are positive).
    if (first == nullptr || static_cast<__int128>(queue.packets.front().dts) * first->timescale <
                                static_cast<__int128>(first->packets.front().dts) * queue.timescale)
      first = &queue;
  }
  return first;
}

void PacketInterleaver::drain(core::PacketSink& sink, bool all) {
  while (true) {
    const bool each_has_one = std::all_of(queues_.begin(), queues_.end(),
                                          [](const Queue& q) { return !q.packets.empty(); });
    if (!all && !each_has_one) return;
    Queue* next = earliest();
    if (next == nullptr) return;
    sink.on_packet(next->packets.front());
    next->packets.pop_front();
  }
}

}  // namespace looplive::transcode
