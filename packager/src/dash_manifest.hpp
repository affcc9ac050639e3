#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "looplive/core/media_types.hpp"
#include "looplive/packager/live_view.hpp"

namespace looplive::packager {

struct DashTrack {
  const core::TrackInfo* info = nullptr;
  std::span<const SegmentInfo> segments;  // oldest first
  uint64_t bandwidth = 0;                 // bits per second, measured peak
  std::string media_template;             // "v_$Number$.m4s"
};

struct MpdOptions {
  bool dynamic = true;                   // live; static once the stream ended
  int64_t availability_start_ms = 0;     // Unix time of media time 0
  int64_t publish_ms = 0;                // Unix time of this rendering
  int64_t segment_ms = 2000;             // target: minimumUpdatePeriod and minBufferTime
  int64_t time_shift_ms = 12'000;        // timeShiftBufferDepth: about the live window
  int64_t presentation_delay_ms = 6000;  // suggestedPresentationDelay
  // Clients sync their clocks with an HTTP GET answering an ISO 8601 UTC time
  // (urn:mpeg:dash:utc:http-iso:2014); the HTTP origin serves it at this path.
  std::string utc_timing_url = "/time";
  std::string base_url;  // optional BaseURL, for an MPD stored away from its segments
};

// One Period per discontinuity (each may need its own init segment), one
// AdaptationSet per track with a SegmentTemplate ($Number$) and SegmentTimeline.
std::string render_mpd(std::span<const DashTrack> tracks, const MpdOptions& options);

}  // namespace looplive::packager
