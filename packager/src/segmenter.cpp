#include "segmenter.hpp"

#include <algorithm>
#include <cstdlib>

#include "looplive/core/media_types.hpp"

namespace looplive::packager {

Segmenter::Segmenter(SegmenterConfig config) : config_(config) {}

int64_t Segmenter::last_step(uint8_t track) const {
  return track < 2 ? tracks_[track].last_step : 0;
}

void Segmenter::restart(uint8_t track) {
  if (track > 1) return;
  ++events_;
  if (track == core::kVideoTrack) {
    tracks_[track].started = false;
  } else {
    tracks_[track].cut_asap = true;
  }
}

Placement Segmenter::place(uint8_t track, int64_t dts, int64_t pts, bool keyframe) {
  Placement p;
  const bool video = track == core::kVideoTrack;
  if (track > 1 || !(video ? config_.has_video : config_.has_audio)) {
    p.drop = true;
    p.dts = dts;
    p.pts = pts;
    ++counts_.dropped;
    return p;
  }
  Track& t = tracks_[track];
  repair(t, dts, pts);
  p.dts = dts;
  p.pts = pts;
  if (video) {
    place_video(t, p, keyframe);
  } else {
    place_audio(t, p);
  }
  if (p.drop) {
    ++counts_.dropped;
  } else if (!p.new_segment && p.dts + t.last_step + 1 - t.fragment_start > config_.part_ms) {
    // Cut before this packet could take the part past its target (LL-HLS
    // parts must not exceed PART-TARGET); millisecond timestamps of a steady
    // frame rate jitter by one.
    p.new_fragment = true;
    t.fragment_start = p.dts;
  }
  return p;
}

void Segmenter::repair(Track& t, int64_t& dts, int64_t& pts) {
  const int64_t composition = pts - dts;
  if (!t.seen) {
    const bool first = !tracks_[0].seen && !tracks_[1].seen;
    if (first && config_.start_at_ms) stream_offset_ = *config_.start_at_ms - dts;
    t.offset = stream_offset_;
    t.generation = generation_;
  } else if (std::abs(dts - t.last_in) > config_.jump_ms) {
    // When the other track already rebased this break, reuse its offset so
    // both tracks stay aligned; otherwise continue right after this track's
    // last sample.
    const bool follow = t.generation < generation_ &&
                        std::abs(dts + stream_offset_ - t.last_out) <= config_.jump_ms;
    if (!follow) {
      stream_offset_ = t.last_out + std::max<int64_t>(t.last_step, 1) - dts;
      ++generation_;
      ++events_;
      ++counts_.jumps;
    }
    t.offset = stream_offset_;
    t.generation = generation_;
  }
  t.last_in = dts;
  int64_t out = dts + t.offset;
  if (t.seen && out <= t.last_out) {
    out = t.last_out + 1;
    ++counts_.non_monotonic;
  } else if (!t.seen && config_.start_at_ms && out < *config_.start_at_ms) {
    // The other track came first with a later DTS; nothing may land on the
    // timeline the stream already has.
    out = *config_.start_at_ms;
    ++counts_.non_monotonic;
  } else if (t.seen) {
    t.last_step = out - t.last_out;
  }
  t.seen = true;
  t.last_out = out;
  dts = out;
  pts = out + composition;
  // libavformat refuses PTS below DTS in any container (and FLV allows it),
  // so the frame is shown at its decode time rather than lost.
  if (composition < 0) {
    pts = dts;
    ++counts_.negative_composition;
  }
}

void Segmenter::open_segment(Track& t, Placement& p, bool discontinuity) {
  p.new_segment = true;
  p.new_fragment = true;
  p.discontinuity = discontinuity;
  t.started = true;
  t.cut_asap = false;
  t.segment_start = p.dts;
  t.fragment_start = p.dts;
}

void Segmenter::place_video(Track& t, Placement& p, bool keyframe) {
  if (!keyframe) {
    p.drop = !t.started;
    // The next frame would take the segment past its cap: end it here, so
    // the playlists' target duration holds whatever the keyframe interval.
    const int64_t next_end = p.dts + std::max<int64_t>(t.last_step, 1) - t.segment_start;
    if (t.started && config_.max_segment_ms > 0 && next_end > config_.max_segment_ms) {
      open_segment(t, p, false);
      p.independent = t.independent = false;
      if (config_.has_audio) boundaries_.push_back({p.dts, t.applied});
    }
    return;
  }
  const bool pending = t.applied < events_;
  if (t.started && !pending && t.independent && p.dts - t.segment_start < config_.segment_ms)
    return;
  open_segment(t, p, pending && video_started_);
  t.independent = true;
  t.applied = events_;
  if (config_.has_audio && video_started_) boundaries_.push_back({p.dts, t.applied});
  video_started_ = true;
}

void Segmenter::place_audio(Track& t, Placement& p) {
  if (!config_.has_video) {
    const bool pending = t.applied < events_;
    if (!t.started) {
      open_segment(t, p, false);
    } else if (pending || t.cut_asap || p.dts - t.segment_start >= config_.segment_ms) {
      open_segment(t, p, pending);
    }
    t.applied = events_;
    return;
  }
  // Audio before the first video keyframe would make audio segment 1 longer
  // than video segment 1 and shift every later pair.
  if (!video_started_) {
    p.drop = true;
    return;
  }
  uint64_t epoch = 0;
  bool crossed = false;
  while (!boundaries_.empty() && boundaries_.front().dts <= p.dts) {
    epoch = std::max(epoch, boundaries_.front().epoch);
    crossed = true;
    boundaries_.pop_front();
  }
  if (!t.started) {
    open_segment(t, p, false);
    t.applied = tracks_[core::kVideoTrack].applied;
  } else if (t.cut_asap) {
    open_segment(t, p, true);
    t.applied = events_;
  } else if (crossed) {
    open_segment(t, p, epoch > t.applied);
    t.applied = std::max(t.applied, epoch);
  }
}

}  // namespace looplive::packager
