#include "track_output.hpp"

#include <algorithm>
#include <utility>

#include "looplive/media/stream_files.hpp"

namespace looplive::packager {

uint64_t numbering_epoch(int64_t unix_ms) {
  constexpr int64_t k2026 = 1'767'225'600;  // 2026-01-01T00:00:00Z
  const int64_t seconds = unix_ms / 1000 - k2026;
  return seconds > 0 ? 10 * static_cast<uint64_t>(seconds) : 1;
}

core::Status TrackOutput::configure(const core::TrackInfo& track) {
  auto muxer = CmafTrackMuxer::open(track);
  if (!muxer) return muxer.error();
  const bool same_init = muxer_ && muxer_->init_segment() == muxer.value()->init_segment();
  muxer_ = std::move(muxer.value());
  track_ = track;
  if (same_init) return core::Ok{};
  init_uri_ = media::files::init_segment(prefix_, configurations_);
  ++configurations_;
  return core::Ok{};
}

void TrackOutput::discard() {
  held_.reset();
  segment_.clear();
  part_.clear();
  open_ = false;
}

core::Status TrackOutput::push(const core::MediaPacket& packet, const Placement& placement,
                               TrackOutputs& done) {
  if (!open_ && !placement.new_segment) return core::Ok{};
  if (held_) {
    if (core::Status s = write_held(std::max<int64_t>(1, packet.dts - held_->dts)); !s) return s;
  }
  if (placement.new_fragment && open_) {
    if (core::Status s = flush(packet.dts, done); !s) return s;
  }
  if (placement.new_fragment) {
    part_start_ = packet.dts;
    part_independent_ = packet.keyframe || track_.kind == core::MediaKind::audio;
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
    current_.uri = media::files::segment(prefix_, current_.number);
    current_.init_uri = init_uri_;
    current_.start_ms = packet.dts;
    current_.presentation_offset_ms = std::max<int64_t>(0, packet.pts - packet.dts);
    current_.independent = placement.independent;
    current_.discontinuity = discontinuity;
    current_.discontinuity_index = discontinuities_;
    parts_ = 0;
    open_ = true;
  }
  held_ = packet;
  return core::Ok{};
}

core::Status TrackOutput::close(int64_t last_duration_ms, TrackOutputs& done) {
  if (!open_) return core::Ok{};
  int64_t end = current_.start_ms;
  if (held_) {
    end = held_->dts + std::max<int64_t>(1, last_duration_ms);
    if (core::Status s = write_held(end - held_->dts); !s) return s;
  }
  if (core::Status s = flush(end, done); !s) return s;
  finish_segment(end, done);
  return core::Ok{};
}

core::Status TrackOutput::write_held(int64_t duration_ms) {
  const core::Status status = muxer_->write(*held_, duration_ms);
  held_.reset();
  return status;
}

// The fragment becomes a part of its own, then joins the segment: players on
// LL-HLS fetch the part, the others the whole segment.
core::Status TrackOutput::flush(int64_t end_ms, TrackOutputs& done) {
  if (events_ != nullptr && muxer_->pending()) {
    const std::vector<uint8_t> events = events_->fragment_events(part_start_, end_ms, parts_ == 0);
    if (!events.empty()) part_.append(events);
  }
  if (core::Status s = muxer_->flush_fragment(part_); !s) return s;
  core::SharedBytes bytes = part_.seal();
  if (bytes.empty()) return core::Ok{};
  segment_.append(bytes);
  PartInfo part;
  part.segment_number = current_.number;
  part.index = parts_++;
  part.uri = media::files::part(prefix_, current_.number, part.index);
  part.duration_ms = std::max<int64_t>(1, end_ms - part_start_);
  part.independent = part_independent_;
  done.parts.push_back({std::move(part), current_, std::move(bytes)});
  return core::Ok{};
}

void TrackOutput::finish_segment(int64_t end_ms, TrackOutputs& done) {
  current_.duration_ms = end_ms - current_.start_ms;
  current_.bytes = segment_.size();
  // In an in-memory file the origin sends it by reference (sendfile).
  done.segments.push_back({current_, segment_.seal()});
  open_ = false;
}

}  // namespace looplive::packager
