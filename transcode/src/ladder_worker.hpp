#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "looplive/core/media_types.hpp"
#include "transcoder.hpp"

namespace looplive::transcode {

// Runs one stream's Transcoder on a thread of its own, so decoding and
// encoding never hold up an I/O thread. Source packets queue in, rung
// packets queue out; the publisher's session hands them on.
class LadderWorker {
 public:
  LadderWorker(std::unique_ptr<Transcoder> transcoder, int64_t max_delay_ms);
  ~LadderWorker();  // stops, dropping what is still queued
  // The publish ended: transcodes what is queued and what the decoder holds,
  // then stops; take() then has the rungs' last packets. Waits for it when
  // the ladder keeps real time (a few pictures), not when it fell behind.
  void finish();
  LadderWorker(const LadderWorker&) = delete;
  LadderWorker& operator=(const LadderWorker&) = delete;

  // A source packet to transcode. Once the queue holds more than the
  // allowed delay of media, the ladder cannot keep real time: it stops.
  void submit(const core::MediaPacket& packet);
  // The rung packets made since the last call, in order.
  std::vector<core::MediaPacket> take();
  // Why the ladder stopped (too slow, or an error), once it has.
  std::optional<std::string> stopped() const;
  // The rungs dropped since the last call because the ladder fell behind
  // real time, largest first: each drop lightens the load until it keeps up.
  std::vector<core::TrackInfo> take_dropped();

 private:
  void run();

  std::unique_ptr<Transcoder> transcoder_;
  const int64_t max_delay_ms_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<core::MediaPacket> queue_;
  std::vector<core::MediaPacket> made_;
  std::optional<std::string> stopped_;
  bool quit_ = false;
  bool draining_ = false;  // finish(): the queue, then the decoder, then quit
  bool behind_ = false;    // the queue was dropped: the largest rung goes
  std::vector<core::TrackInfo> dropped_;
  std::thread thread_;  // last: started once everything it uses exists
};

}  // namespace looplive::transcode
