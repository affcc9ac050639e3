#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "looplive/core/media_types.hpp"
#include "looplive/packager/live_view.hpp"
#include "tag_book.hpp"

namespace looplive::packager {

// A stream's EXT-X-TARGETDURATION, fixed for its whole life (RFC 8216
// section 6.2.1 forbids changing it): the configured segment duration in
// whole seconds, rounded up.
int64_t target_duration_seconds(int64_t segment_ms);
// The longest a video segment may grow waiting for a keyframe: its EXTINF,
// rounded to the nearest second, stays within the target duration, with room
// for the audio segment beside it, which ends up to an audio frame later.
int64_t max_segment_ms(int64_t segment_ms);
// What RFC 8216 compares with the target duration: EXTINF rounded to the nearest second.
int64_t rounded_seconds(int64_t duration_ms);

// Where another rendition's playlist has got to, for EXT-X-RENDITION-REPORT.
struct RenditionReport {
  std::string uri;
  uint64_t last_msn = 0;
  int64_t last_part = -1;  // -1: none listed
};

// What a media playlist request asked for with _HLS_skip: the whole
// playlist, a delta update without the oldest segments (YES), or one without
// the older date ranges too (v2).
enum class DeltaUpdate { none, skip_segments, skip_dateranges_too };

struct MediaPlaylistOptions {
  // The stream's target duration; a segment that would round above it (one
  // recorded by an earlier version) raises it rather than break the RFC.
  int64_t target_seconds = 1;
  bool ended = false;      // EXT-X-ENDLIST
  bool vod = false;        // EXT-X-PLAYLIST-TYPE:VOD; implies ended
  std::string uri_prefix;  // put before every segment and init URI
  // EXT-X-SERVER-CONTROL HOLD-BACK: how far from the live edge players not on LL-HLS start.
  int64_t hold_back_ms = 0;
  // LL-HLS (RFC 8216bis): 0 renders a plain playlist. Otherwise the parts of
  // the last segments and of the open one are listed (oldest first), then a
  // preload hint for the next part.
  int64_t part_target_ms = 0;
  std::span<const PartInfo> parts;
  const SegmentInfo* open_segment = nullptr;  // the segment being built, duration unknown
  std::string preload_hint;                   // URI of the next part
  std::span<const RenditionReport> reports;
  // Delta updates (RFC 8216bis section 6.2.5.1): CAN-SKIP-UNTIL and
  // CAN-SKIP-DATERANGES are advertised when skip_until_ms is positive;
  // `delta` renders an update, the oldest segments replaced by EXT-X-SKIP.
  int64_t skip_until_ms = 0;
  DeltaUpdate delta = DeltaUpdate::none;
  // Product tags, as EXT-X-DATERANGE lines (render_daterange()), written
  // before the segments; rendered once for every playlist of a stream. For
  // DeltaUpdate::skip_dateranges_too, only those added or changed within the
  // skip boundary, and `removed_dateranges` the IDs of those that left the
  // playlist within it, tab-separated.
  std::string_view dateranges;
  std::string_view removed_dateranges;
};

// One product tag as an EXT-X-DATERANGE line: START-DATE its program date
// time, DURATION once its end is known, X-PRODUCT-ID, X-ACTION, and X-PAYLOAD
// the cue JSON in URL-safe base64.
std::string render_daterange(const TagRange& range);
std::string daterange_id(uint64_t tag_id);  // its ID attribute
std::string render_dateranges(std::span<const TagRange> ranges);

// CAN-SKIP-UNTIL for a stream: six target durations, the least RFC 8216bis
// allows, or 0 when a live window of `window_ms` never reaches past it.
int64_t skip_until_ms(int64_t target_seconds, int64_t window_ms);
// How many of the oldest segments lie wholly before the skip boundary.
size_t skippable_segments(std::span<const SegmentInfo> segments, int64_t skip_until_ms);

// A media playlist for one track's segments, oldest first; empty text for no
// segments, and for a delta update with nothing to skip.
std::string render_media_playlist(std::span<const SegmentInfo> segments,
                                  const MediaPlaylistOptions& options);

// A track as the multivariant playlist lists it.
struct VariantTrack {
  const core::TrackInfo* info = nullptr;
  std::string uri;                 // its media playlist
  uint64_t peak_bandwidth = 0;     // bits per second
  uint64_t average_bandwidth = 0;  // bits per second
};

// The multivariant playlist: one variant per video rendition, in the order
// given, each with the audio renditions as its alternatives (the first is
// the default); without video, one variant per audio rendition.
std::string render_multivariant_playlist(std::span<const VariantTrack> tracks);

// Measured bit rates over a track's segments, for BANDWIDTH and AVERAGE-BANDWIDTH.
class BitrateMeter {
 public:
  void add(uint64_t bytes, int64_t duration_ms);
  uint64_t peak() const { return peak_; }
  uint64_t average() const;

 private:
  uint64_t peak_ = 0;
  uint64_t bytes_ = 0;
  int64_t duration_ms_ = 0;
};

}  // namespace looplive::packager
