#include "ladder_worker.hpp"

#include <iterator>
#include <utility>

namespace looplive::transcode {
namespace {

// Source packets a finishing publish waits to see transcoded: half a second
// of video is a few tens of milliseconds of work for a ladder that keeps up.
constexpr size_t kMaxDrained = 15;
// Source video packets a second, at most, that a real encoder sends.
constexpr int64_t kMaxFramesPerSecond = 240;

}  // namespace

LadderWorker::LadderWorker(std::unique_ptr<Transcoder> transcoder,
                           std::chrono::milliseconds max_delay)
    : transcoder_(std::move(transcoder)), max_delay_(max_delay), thread_([this] { run(); }) {}

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
    if (made_.stopped || behind_ || queue_.size() > kMaxDrained) {
      quit_ = true;
    } else {
      draining_ = true;
    }
  }
  wake_.notify_one();
  thread_.join();
}

void LadderWorker::submit(const core::MediaPacket& packet) {
  const auto now = std::chrono::steady_clock::now();
  const size_t max_queued =
      static_cast<size_t>(max_delay_.count() * kMaxFramesPerSecond / 1000 + 1);
  {
    std::lock_guard lock(mutex_);
    if (made_.stopped || behind_) return;
    if (!queue_.empty() && (now - queue_.front().at > max_delay_ || queue_.size() >= max_queued)) {
      queue_.clear();
      behind_ = true;
    } else {
      queue_.push_back({packet, now});
    }
  }
  wake_.notify_one();
}

bool LadderWorker::take(LadderOutput& out) {
  out.clear();
  if (!ready_.load(std::memory_order_acquire)) return false;
  std::lock_guard lock(mutex_);
  // Swapped, so both sides keep their vectors' capacity.
  std::swap(out.packets, made_.packets);
  std::swap(out.dropped, made_.dropped);
  out.stopped = made_.stopped;
  ready_.store(made_.stopped.has_value(), std::memory_order_release);
  return true;
}

void LadderWorker::publish(std::vector<core::MediaPacket>& made) {
  made_.packets.insert(made_.packets.end(), std::make_move_iterator(made.begin()),
                       std::make_move_iterator(made.end()));
  made.clear();
  if (!made_.packets.empty() || !made_.dropped.empty() || made_.stopped)
    ready_.store(true, std::memory_order_release);
}

void LadderWorker::run() {
  std::vector<core::MediaPacket> made;
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return quit_ || draining_ || behind_ || !queue_.empty(); });
    if (quit_) return;
    if (behind_) {
      // What was queued is skipped; the rest restart at the next keyframe.
      transcoder_->resync();
      if (auto rung = transcoder_->drop_largest()) made_.dropped.push_back(std::move(*rung));
      if (transcoder_->rungs() == 0) {
        made_.stopped = "it fell more than " + std::to_string(max_delay_.count()) +
                        " ms behind real time with every rung (too little CPU)";
      }
      behind_ = false;
      publish(made);
      if (made_.stopped) return;
      continue;
    }
    if (queue_.empty()) {  // draining, and every queued packet is done
      lock.unlock();
      const core::Status status = transcoder_->flush(made);
      lock.lock();
      if (!status) made_.stopped = status.error().message;
      publish(made);
      return;
    }
    core::MediaPacket packet = std::move(queue_.front().packet);
    queue_.pop_front();
    lock.unlock();
    const core::Status status = transcoder_->push(packet, made);
    lock.lock();
    if (!status) {
      made_.stopped = status.error().message;
      queue_.clear();
    }
    publish(made);
    if (made_.stopped) return;
  }
}

}  // namespace looplive::transcode
