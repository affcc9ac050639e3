#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "looplive/core/media_types.hpp"
#include "looplive/packager/live_view.hpp"

namespace looplive::packager {

struct DashTrack {
  const core::TrackInfo* info = nullptr;
  std::span<const SegmentInfo> segments;  // oldest first
  uint64_t bandwidth = 0;                 // bits per second, measured peak
  std::string media_template;             // from media_template()
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

// Segment addressing in a SegmentTemplate. A live MPD addresses segments by
// start time ($Time$, no startNumber): libavformat's DASH reader (5.1) takes
// $Number$ for a position in the timeline and rereads or skips segments each
// time the window slides. The origin serves every live segment under its
// time name too; a finished (static) MPD, also stored on disk, uses $Number$.
std::string media_template(std::string_view prefix, bool by_time);  // v_t$Time$.m4s, v_$Number$.m4s
std::string time_addressed_uri(std::string_view prefix, int64_t start_ms);  // v_t24000.m4s

// One Period per discontinuity (each may need its own init segment), one
// AdaptationSet per track with a SegmentTemplate ($Number$) and SegmentTimeline.
std::string render_mpd(std::span<const DashTrack> tracks, const MpdOptions& options);

}  // namespace looplive::packager
