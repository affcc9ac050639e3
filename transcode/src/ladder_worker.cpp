#include "ladder_worker.hpp"

#include <iterator>
#include <utility>

namespace looplive::transcode {
namespace {

// Source packets a finishing publish waits to see transcoded: half a second
// of video is a few tens of milliseconds of work for a ladder that keeps up.
constexpr size_t kMaxDrained = 15;

}  // namespace

LadderWorker::LadderWorker(std::unique_ptr<Transcoder> transcoder, int64_t max_delay_ms)
    : transcoder_(std::move(transcoder)), max_delay_ms_(max_delay_ms), thread_([this] { run(); }) {}

LadderWorker::~LadderWorker() {
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void LadderWorker::finish() {
  {
    std::lock_guard lock(mutex_);
    if (stopped_ || queue_.size() > kMaxDrained) {
      quit_ = true;
    } else {
      draining_ = true;
    }
  }
  wake_.notify_one();
  thread_.join();
}

void LadderWorker::submit(const core::MediaPacket& packet) {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    queue_.push_back(packet);
    if (queue_.back().dts - queue_.front().dts > max_delay_ms_) {
      // What is queued is skipped; the rest restart at the next keyframe.
      queue_.clear();
      behind_ = true;
    }
  }
  wake_.notify_one();
}

std::vector<core::MediaPacket> LadderWorker::take() {
  std::lock_guard lock(mutex_);
  return std::exchange(made_, {});
}

std::vector<core::TrackInfo> LadderWorker::take_dropped() {
  std::lock_guard lock(mutex_);
  return std::exchange(dropped_, {});
}

std::optional<std::string> LadderWorker::stopped() const {
  std::lock_guard lock(mutex_);
  return stopped_;
}

void LadderWorker::run() {
  std::vector<core::MediaPacket> made;
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return quit_ || draining_ || behind_ || !queue_.empty(); });
    if (quit_) return;
    if (behind_) {
      behind_ = false;
      transcoder_->resync();
      if (auto rung = transcoder_->drop_largest()) dropped_.push_back(std::move(*rung));
      if (transcoder_->rungs() == 0) {
        stopped_ = "it fell more than " + std::to_string(max_delay_ms_) +
                   " ms behind real time with every rung (too little CPU)";
        queue_.clear();
        return;
      }
      continue;
    }
    if (queue_.empty()) {  // draining, and every queued packet is done
      lock.unlock();
      made.clear();
      const core::Status status = transcoder_->flush(made);
      lock.lock();
      made_.insert(made_.end(), std::make_move_iterator(made.begin()),
                   std::make_move_iterator(made.end()));
      if (!status) stopped_ = status.error().message;
      return;
    }
    core::MediaPacket packet = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    made.clear();
    const core::Status status = transcoder_->push(packet, made);
    lock.lock();
    made_.insert(made_.end(), std::make_move_iterator(made.begin()),
                 std::make_move_iterator(made.end()));
    if (!status) {
      stopped_ = status.error().message;
      queue_.clear();
      return;
    }
  }
}

}  // namespace looplive::transcode
