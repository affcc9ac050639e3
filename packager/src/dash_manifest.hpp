#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "looplive/core/media_types.hpp"
#include "looplive/packager/live_view.hpp"
#include "tag_book.hpp"

namespace looplive::packager {

struct DashTrack {
  const core::TrackInfo* info = nullptr;
  std::span<const SegmentInfo> segments;  // oldest first
  uint64_t bandwidth = 0;                 // bits per second, measured peak
  std::string media_template;             // from media::files::segment_template()
  // Low-latency DASH: the segment being written, listed after `segments` with
  // MpdOptions::growing_ms as its duration so that a player fetches it while
  // it grows; the track's SegmentTemplate then says availabilityTimeComplete="false".
  // Left out of a static MPD and when chunk_ms is 0.
  std::optional<SegmentInfo> growing;
};

// `text` with the characters XML text may not hold (&, <, >) escaped.
std::string xml_text(std::string_view text);

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
  // Low-latency DASH (DASH-IF IOP low-latency modes): segments made of CMAF
  // chunks of this duration are fetchable from their first chunk on
  // (availabilityTimeOffset, availabilityTimeComplete="false"), the segment
  // being written is listed, and a ServiceDescription gives players a target
  // latency. 0: none. The MPD then asks for updates every chunk.
  int64_t chunk_ms = 0;
  // The duration listed for a segment being written: the longest it can get,
  // so a player's next request after it never lands inside it again.
  int64_t growing_ms = 0;
  int64_t target_latency_ms = 0;  // ServiceDescription Latency@target
  // Product tags: an EventStream in the period each starts in (one that
  // started before the first period, still on screen, from that period's
  // start), its Event the cue JSON; and, when the first track's fragments
  // carry them as emsg, an InbandEventStream on its AdaptationSet.
  std::span<const TagRange> events;
  // A tag's cue as XML text, escaped once and kept by the caller; none (or
  // nullptr for a tag): escaped as it is rendered.
  std::function<const std::string*(uint64_t tag_id)> escaped_cue;
  bool inband_events = false;
  // A live period's start, by discontinuity index, fixed when it began:
  // Period@start must not move as the window slides (players place the
  // timeline by it). A period missing here starts at its first listed segment.
  const std::map<uint64_t, int64_t>* period_starts = nullptr;
  // A live MPD's AdaptationSets by period, kept by the caller between
  // renderings: when only the tags and the publish time changed (a busy show
  // has a tag at every part), they are taken as kept (`reuse_tracks`), not
  // made again; otherwise made and kept.
  std::map<uint64_t, std::string>* kept_tracks = nullptr;
  bool reuse_tracks = false;
};

// Segment addressing in a SegmentTemplate. A live MPD addresses segments by
// start time ($Time$, no startNumber): libavformat's DASH reader (5.1) takes
// $Number$ for a position in the timeline and rereads or skips segments each
// time the window slides. The origin serves every live segment under its
// time name too; a finished (static) MPD, also stored on disk, uses $Number$.

// The latency a low-latency DASH player is asked to keep (ServiceDescription):
// a chunk becomes available only once complete, and the player needs a few
// more in its buffer to ride out network and encoder jitter.
int64_t dash_target_latency_ms(int64_t chunk_ms);

// One Period per discontinuity (each may need its own init segment), one
// AdaptationSet per kind of track (tracks given video first, then by
// rendition), one Representation per rendition, with a SegmentTemplate and
// SegmentTimeline.
std::string render_mpd(std::span<const DashTrack> tracks, const MpdOptions& options);

}  // namespace looplive::packager
