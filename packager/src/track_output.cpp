#include "track_output.hpp"

#include <algorithm>
#include <utility>

namespace looplive::packager {

core::Status TrackOutput::configure(const core::TrackInfo& track) {
  auto muxer = CmafTrackMuxer::open(track);
  if (!muxer) return muxer.error();
  const bool same_init = muxer_ && muxer_->init_segment() == muxer.value()->init_segment();
  muxer_ = std::move(muxer.value());
  track_ = track;
  if (same_init) return core::Ok{};
  init_uri_ = "init_" + prefix_ +
              (configurations_ == 0 ? std::string() : "_" + std::to_string(configurations_)) +
              ".mp4";
  ++configurations_;
  return core::Ok{};
}

void TrackOutput::discard() {
  held_.reset();
  segment_.clear();
  open_ = false;
}

core::Status TrackOutput::push(const core::MediaPacket& packet, const Placement& placement,
                               std::vector<FinishedSegment>& done) {
  if (!open_ && !placement.new_segment) return core::Ok{};
  if (held_) {
    if (core::Status s = write_held(std::max<int64_t>(1, packet.dts - held_->dts)); !s) return s;
  }
  if (placement.new_fragment && open_) {
    if (core::Status s = flush(); !s) return s;
  }
  if (placement.new_segment) {
    if (open_) finish_segment(packet.dts, done);
    bool discontinuity = placement.discontinuity;
    if (next_period_) {
      discontinuities_ = *std::exchange(next_period_, std::nullopt);
      discontinuity = true;
    } else if (discontinuity) {
      ++discontinuities_;
    }
    current_ = SegmentInfo{};
    current_.number = next_number_++;
    current_.uri = prefix_ + "_" + std::to_string(current_.number) + ".m4s";
    current_.init_uri = init_uri_;
    current_.start_ms = packet.dts;
    current_.discontinuity = discontinuity;
    current_.discontinuity_index = discontinuities_;
    open_ = true;
  }
  held_ = packet;
  return core::Ok{};
}

core::Status TrackOutput::close(int64_t last_duration_ms, std::vector<FinishedSegment>& done) {
  if (!open_) return core::Ok{};
  int64_t end = current_.start_ms;
  if (held_) {
    end = held_->dts + std::max<int64_t>(1, last_duration_ms);
    if (core::Status s = write_held(end - held_->dts); !s) return s;
  }
  if (core::Status s = flush(); !s) return s;
  finish_segment(end, done);
  return core::Ok{};
}

core::Status TrackOutput::write_held(int64_t duration_ms) {
  const core::Status status = muxer_->write(*held_, duration_ms);
  held_.reset();
  return status;
}

core::Status TrackOutput::flush() {
  return muxer_->flush_fragment(segment_);
}

void TrackOutput::finish_segment(int64_t end_ms, std::vector<FinishedSegment>& done) {
  current_.duration_ms = end_ms - current_.start_ms;
  current_.bytes = segment_.size();
  // In an in-memory file the origin sends it by reference (sendfile).
  done.push_back({current_, segment_.seal()});
  open_ = false;
}

}  // namespace looplive::packager
