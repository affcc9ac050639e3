#include "segmenter.hpp"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "looplive/core/media_types.hpp"

namespace looplive::packager {

Segmenter::Segmenter(SegmenterConfig config) : config_(std::move(config)) {
  for (const SegmenterTrack& track : config_.tracks) {
    Track t;
    t.id = track.id;
    t.video = track.kind == core::MediaKind::video;
    tracks_.push_back(t);
  }
  const auto first_video =
      std::find_if(tracks_.begin(), tracks_.end(), [](const Track& t) { return t.video; });
  if (first_video != tracks_.end()) {
    first_video->lead = true;
    lead_ = &*first_video;
  }
}

Segmenter::Track* Segmenter::find(uint8_t track_id) {
  const auto found = std::find_if(tracks_.begin(), tracks_.end(),
                                  [&](const Track& t) { return t.id == track_id; });
  return found == tracks_.end() ? nullptr : &*found;
}

int64_t Segmenter::last_step(uint8_t track_id) const {
  for (const Track& t : tracks_)
    if (t.id == track_id) return t.last_step;
  return 0;
}

void Segmenter::restart(uint8_t track_id) {
  Track* t = find(track_id);
  if (t == nullptr) return;
  ++events_;
  if (t->lead) {
    t->started = false;
  } else {
    t->cut_asap = true;
  }
}

Placement Segmenter::place(uint8_t track_id, int64_t dts, int64_t pts, bool keyframe) {
  Placement p;
  Track* found = find(track_id);
  if (found == nullptr) {
    p.drop = true;
    p.dts = dts;
    p.pts = pts;
    ++counts_.dropped;
    return p;
  }
  Track& t = *found;
  repair(t, dts, pts);
  p.dts = dts;
  p.pts = pts;
  if (t.lead) {
    place_lead(t, p, keyframe);
  } else if (lead_ != nullptr) {
    place_follower(t, p, keyframe);
  } else {
    place_alone(t, p);
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
    const bool first =
        std::none_of(tracks_.begin(), tracks_.end(), [](const Track& o) { return o.seen; });
    if (first && config_.start_at_ms) stream_offset_ = *config_.start_at_ms - dts;
    t.offset = stream_offset_;
    t.generation = generation_;
  } else if (std::abs(dts - t.last_in) > config_.jump_ms) {
    // When another track already rebased this break, reuse its offset so
    // the tracks stay aligned; otherwise continue right after this track's
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
    // Another track came first with a later DTS; nothing may land on the
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

void Segmenter::cut_followers(int64_t dts, uint64_t epoch) {
  for (Track& t : tracks_) {
    if (t.lead) continue;
    t.boundaries.push_back({dts, epoch});
    // A track announced but silent must not make the queue grow for the whole
    // show. Its next packet passes every cut still queued, and epochs only
    // grow, so the oldest carry nothing the newest do not.
    if (t.boundaries.size() > kMaxPendingCuts) t.boundaries.pop_front();
  }
}

void Segmenter::place_lead(Track& t, Placement& p, bool keyframe) {
  if (!keyframe) {
    p.drop = !t.started;
    // The next frame would take the segment past its cap: end it here, so
    // the playlists' target duration holds whatever the keyframe interval.
    const int64_t next_end = p.dts + std::max<int64_t>(t.last_step, 1) - t.segment_start;
    if (t.started && config_.max_segment_ms > 0 && next_end > config_.max_segment_ms) {
      open_segment(t, p, false);
      p.independent = t.independent = false;
      cut_followers(p.dts, t.applied);
    }
    return;
  }
  const bool pending = t.applied < events_;
  if (t.started && !pending && t.independent && p.dts - t.segment_start < config_.segment_ms)
    return;
  open_segment(t, p, pending && lead_started_);
  t.independent = true;
  t.applied = events_;
  if (lead_started_) cut_followers(p.dts, t.applied);
  lead_started_ = true;
}

// Audio on its own cuts on time.
void Segmenter::place_alone(Track& t, Placement& p) {
  const bool pending = t.applied < events_;
  if (!t.started) {
    open_segment(t, p, false);
  } else if (pending || t.cut_asap || p.dts - t.segment_start >= config_.segment_ms) {
    open_segment(t, p, pending);
  }
  t.applied = events_;
}

void Segmenter::place_follower(Track& t, Placement& p, bool keyframe) {
  // A follower's packets before the lead's first keyframe would make its
  // segment 1 longer than the lead's and shift every later pair; a video
  // follower also waits for its own first keyframe.
  if (!lead_started_ || (t.video && !t.started && !keyframe)) {
    p.drop = true;
    return;
  }
  uint64_t epoch = 0;
  bool crossed = false;
  while (!t.boundaries.empty() && t.boundaries.front().dts <= p.dts) {
    epoch = std::max(epoch, t.boundaries.front().epoch);
    crossed = true;
    t.boundaries.pop_front();
  }
  if (!t.started) {
    open_segment(t, p, false);
    t.applied = lead_->applied;
  } else if (t.cut_asap) {
    open_segment(t, p, true);
    t.applied = events_;
  } else if (crossed) {
    open_segment(t, p, epoch > t.applied);
    t.applied = std::max(t.applied, epoch);
  } else {
    return;
  }
  p.independent = t.independent = !t.video || keyframe;
}

}  // namespace looplive::packager
