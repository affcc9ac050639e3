#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "looplive/core/media_types.hpp"

namespace looplive::packager {

// A track the segmenter cuts: its packets' id (core::TrackInfo::id) and kind.
struct SegmenterTrack {
  uint8_t id = 0;
  core::MediaKind kind = core::MediaKind::video;
};

struct SegmenterConfig {
  int64_t segment_ms = 2000;  // target: video cuts on the first keyframe at or past it
  // Video also cuts without a keyframe rather than grow a segment past this
  // (a keyframe interval longer than the target duration); 0: never.
  int64_t max_segment_ms = 0;
  int64_t part_ms = 333;     // CMAF chunk (LL-HLS part) length inside a segment, at most
  int64_t jump_ms = 10'000;  // a DTS step larger than this, either way, breaks the timeline
  // The first video track leads; packets of any other id are dropped.
  std::vector<SegmenterTrack> tracks = {{0, core::MediaKind::video}, {1, core::MediaKind::audio}};
  // Continues a stream's earlier timeline: the first packet lands here and
  // the rest follow it, whatever the publisher's clock says.
  std::optional<int64_t> start_at_ms;
};

// What to do with one packet. Timestamps are the repaired output ones.
struct Placement {
  bool drop = false;         // not muxed: video before a keyframe, audio before video started
  bool new_segment = false;  // the track's open segment ends; this packet starts the next
  bool independent = true;   // the new segment starts with a keyframe (audio always does)
  bool new_fragment =
      false;  // flush a fragment (part) before this packet (always with new_segment)
  bool discontinuity = false;  // the new segment follows a timeline break or a codec change
  int64_t dts = 0;
  int64_t pts = 0;
};

struct RepairCounts {
  uint64_t non_monotonic = 0;         // DTS not above the track's previous one: bumped by 1 ms
  uint64_t jumps = 0;                 // timeline breaks rebased onto a continuous timeline
  uint64_t negative_composition = 0;  // PTS below DTS, raised to the DTS
  uint64_t dropped = 0;               // packets the caller must not mux
};

// Cut policy for one stream, with no knowledge of containers. The first
// video track leads when there is one: it cuts on a keyframe once the target
// is reached (or on any frame when the segment would outgrow max_segment_ms,
// and then on the very next keyframe, so keyframes start segments again).
// Every other track (audio, other video renditions) follows: it cuts at its
// first packet at or past each cut of the lead, so segment N of every track
// covers the same time; a rendition encoded with the lead's keyframes cuts on
// the same frames. Without video, audio cuts on time alone.
class Segmenter {
 public:
  explicit Segmenter(SegmenterConfig config);
  Segmenter(const Segmenter&) = delete;
  Segmenter& operator=(const Segmenter&) = delete;

  Placement place(uint8_t track_id, int64_t dts, int64_t pts, bool keyframe);
  // The caller closed the track's segment for a new codec configuration: its
  // next segment starts from scratch (video on a keyframe) and every track
  // flags a discontinuity at its next cut.
  void restart(uint8_t track_id);

  const RepairCounts& counts() const { return counts_; }
  // Last positive DTS step seen on the track: an estimate for the duration of its last sample.
  int64_t last_step(uint8_t track_id) const;

 private:
  struct Boundary {
    int64_t dts;
    uint64_t epoch;  // the lead's discontinuity count at this cut
  };
  struct Track {
    uint8_t id = 0;
    bool video = true;
    bool lead = false;
    bool seen = false;
    bool started = false;     // has an open segment
    bool cut_asap = false;    // cut at the next packet (audio after restart)
    bool independent = true;  // the open segment started with a keyframe
    int64_t last_in = 0;
    int64_t last_out = 0;
    int64_t last_step = 0;
    int64_t offset = 0;       // output = input + offset
    uint64_t generation = 0;  // which rebase of the stream this track follows
    uint64_t applied = 0;     // discontinuity events already flagged on this track
    int64_t segment_start = 0;
    int64_t fragment_start = 0;
    std::deque<Boundary> boundaries;  // a follower's: the lead's cuts it has not reached yet
  };

  static constexpr size_t kMaxPendingCuts = 64;  // per follower

  Track* find(uint8_t track_id);
  void repair(Track& t, int64_t& dts, int64_t& pts);
  void place_lead(Track& t, Placement& p, bool keyframe);
  void place_follower(Track& t, Placement& p, bool keyframe);
  void place_alone(Track& t, Placement& p);
  void cut_followers(int64_t dts, uint64_t epoch);
  void open_segment(Track& t, Placement& p, bool discontinuity);

  SegmenterConfig config_;
  std::vector<Track> tracks_;
  Track* lead_ = nullptr;  // the first video track, if any
  uint64_t events_ = 0;    // discontinuity events so far (breaks, restarts)
  uint64_t generation_ = 0;
  int64_t stream_offset_ = 0;
  bool lead_started_ = false;
  RepairCounts counts_;
};

}  // namespace looplive::packager
