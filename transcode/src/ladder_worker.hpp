#pragma once

#include <atomic>
#include <chrono>
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

// What the worker made since the publisher's session last looked.
struct LadderOutput {
  std::vector<core::MediaPacket> packets;  // rung packets, in order
  // Rungs dropped because the ladder fell behind real time, largest first:
  // each drop lightens the load until it keeps up.
  std::vector<core::TrackInfo> dropped;
  std::optional<std::string> stopped;  // why the ladder stopped, once it has
  void clear() {
    packets.clear();
    dropped.clear();
    stopped.reset();
  }
};

// Runs one stream's Transcoder on a thread of its own, so decoding and
// encoding never hold up an I/O thread. Source packets queue in, rung
// packets queue out; the publisher's session hands them on.
class LadderWorker {
 public:
  LadderWorker(std::unique_ptr<Transcoder> transcoder, std::chrono::milliseconds max_delay);
  ~LadderWorker();  // stops, dropping what is still queued
  LadderWorker(const LadderWorker&) = delete;
  LadderWorker& operator=(const LadderWorker&) = delete;

  // A source packet to transcode. A packet that waited longer than the
  // allowed delay (wall clock: a timestamp jump is no reason), or a queue
  // longer than any real frame rate fills in that time, means the ladder
  // cannot keep real time: the queue is skipped and the largest rung goes.
  void submit(const core::MediaPacket& packet);
  // Moves what was made since the last call into `out` (cleared first);
  // false, without taking a lock, when nothing was.
  bool take(LadderOutput& out);
  // The publish ended: transcodes what is queued and what the decoder holds,
  // then stops; take() then has the rungs' last packets. Waits for that (a
  // few pictures' work, on the publisher's thread) only when the ladder
  // keeps up; one that fell behind is stopped at once.
  void finish();

 private:
  struct Queued {
    core::MediaPacket packet;
    std::chrono::steady_clock::time_point at;
  };
  void run();
  void publish(std::vector<core::MediaPacket>& made);  // under the lock

  std::unique_ptr<Transcoder> transcoder_;
  const std::chrono::milliseconds max_delay_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Queued> queue_;
  LadderOutput made_;
  std::atomic<bool> ready_{false};  // made_ holds something
  bool quit_ = false;
  bool draining_ = false;  // finish(): the queue, then the decoder, then quit
  bool behind_ = false;    // the queue was skipped: the largest rung goes
  std::thread thread_;     // last: started once everything it uses exists
};

}  // namespace looplive::transcode
