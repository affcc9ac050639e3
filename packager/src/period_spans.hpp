#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>

#include "looplive/packager/live_view.hpp"

namespace looplive::packager {

// Where each period (the segments between two discontinuities, across
// tracks) lies on the stream's timeline. Played back to back, periods leave
// out the time a publisher was away.
class PeriodSpans {
 public:
  void add(const SegmentInfo& segment) {
    Span& span = spans_[segment.discontinuity_index];
    span.start = std::min(span.start, segment.start_ms);
    span.end = std::max(span.end, segment.start_ms + segment.duration_ms);
    starts_[segment.discontinuity_index] = span.start;
  }

  int64_t total_ms() const {
    int64_t total = 0;
    for (const auto& entry : spans_) total += entry.second.end - entry.second.start;
    return total;
  }

  // Per period, where it began: its first segment's start, of any track, even
  // after that segment left the live window.
  const std::map<uint64_t, int64_t>& starts() const { return starts_; }

  // Per period, what to add to its timestamps to start it where the previous one ends, from 0.
  std::map<uint64_t, int64_t> shifts() const {
    std::map<uint64_t, int64_t> out;
    int64_t played = 0;
    for (const auto& [period, span] : spans_) {
      out[period] = played - span.start;
      played += span.end - span.start;
    }
    return out;
  }

 private:
  struct Span {
    int64_t start = std::numeric_limits<int64_t>::max();
    int64_t end = std::numeric_limits<int64_t>::min();
  };
  std::map<uint64_t, Span> spans_;
  std::map<uint64_t, int64_t> starts_;  // each span's start, for the live MPD
};

}  // namespace looplive::packager
