#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cmaf_muxer.hpp"
#include "looplive/core/media_types.hpp"
#include "looplive/core/result.hpp"
#include "looplive/core/shared_bytes.hpp"
#include "looplive/packager/live_view.hpp"
#include "segmenter.hpp"
#include "tag_book.hpp"

namespace looplive::packager {

struct FinishedSegment {
  SegmentInfo info;  // wall_clock_ms is left to the live window
  core::SharedBytes bytes;
};

// One CMAF chunk of the open segment, as soon as it is complete: an LL-HLS part.
struct FinishedPart {
  PartInfo info;
  SegmentInfo segment;  // the segment it belongs to, as known so far (no duration yet)
  core::SharedBytes bytes;
};

// What one call completed, parts before the segment they end.
struct TrackOutputs {
  std::vector<FinishedPart> parts;
  std::vector<FinishedSegment> segments;
  bool empty() const { return parts.empty() && segments.empty(); }
};

// Where a process numbers the segments of a stream it starts afresh: ten per
// second since 2026 (1 before), so a stream published again after a restart
// (with nothing on disk to continue from) numbers its segments and init
// segments past anything the previous run can have made, unless that run
// averaged more than ten segments a second, and stays within the 32 bits of
// a DASH startNumber until 2039.
uint64_t numbering_epoch(int64_t unix_ms);

// One track's muxer and the segment being assembled from its fragments. Each
// packet is held back until the next one arrives, because a fragment's last
// sample needs a duration and only the next DTS gives it exactly. Numbering
// and init names outlive a publish: the next one continues them.
class TrackOutput {
 public:
  // Segments are numbered from `first_number`, and init segments named from
  // init_v.mp4 (when it is 1) or init_v_<first_number - 1>.mp4.
  explicit TrackOutput(std::string prefix, uint64_t first_number = 1)
      : prefix_(std::move(prefix)),
        configurations_(first_number - 1),
        next_number_(first_number),
        first_number_(first_number) {}

  // A fresh muxer for this configuration. The init segment keeps its name
  // when its bytes are unchanged and gets a new one (init_v_1.mp4, ...)
  // otherwise. The open segment, if any, must have been closed first.
  core::Status configure(const core::TrackInfo& track);
  // The next segment starts a new period (discontinuity) with this index.
  void start_period(uint64_t index) { next_period_ = index; }
  // Carries on after what a previous run of the process recorded: segment
  // numbers after `segments_made`, init segments under new names, periods
  // after `discontinuities`.
  void resume(uint64_t segments_made, uint64_t configurations, uint64_t discontinuities) {
    first_number_ = 1;
    next_number_ = segments_made + 1;
    configurations_ = configurations;
    discontinuities_ = discontinuities;
  }
  // This track carries the stream's tags as event messages (emsg) before
  // each fragment's moof; none: it carries none.
  void carry_events(TagBook* tags) { events_ = tags; }
  // Forgets an open segment that will never be closed (its publish vanished).
  void discard();
  uint64_t discontinuities() const { return discontinuities_; }
  bool made_segments() const { return next_number_ > first_number_; }
  const core::TrackInfo& track() const { return track_; }
  const std::string& init_uri() const { return init_uri_; }
  const core::SharedBytes& init() const { return muxer_->init_segment(); }

  // A placed packet with repaired timestamps; the part and segment it
  // completes go to `done`.
  core::Status push(const core::MediaPacket& packet, const Placement& placement,
                    TrackOutputs& done);
  // Ends the open segment; the held packet lasts `last_duration_ms`.
  core::Status close(int64_t last_duration_ms, TrackOutputs& done);

 private:
  core::Status write_held(int64_t duration_ms);
  core::Status flush(int64_t end_ms, TrackOutputs& done);
  void finish_segment(int64_t end_ms, TrackOutputs& done);

  std::string prefix_;  // "v" or "a"
  core::TrackInfo track_;
  std::unique_ptr<CmafTrackMuxer> muxer_;
  uint64_t configurations_ = 0;
  std::string init_uri_;
  std::optional<core::MediaPacket> held_;
  bool open_ = false;
  SegmentInfo current_;
  core::MemoryFileBuilder segment_;  // fragments of the open segment
  core::MemoryFileBuilder part_;     // the fragment being flushed
  uint32_t parts_ = 0;               // of the open segment
  int64_t part_start_ = 0;
  bool part_independent_ = false;
  uint64_t next_number_ = 1;
  uint64_t first_number_ = 1;
  uint64_t discontinuities_ = 0;
  std::optional<uint64_t> next_period_;
  TagBook* events_ = nullptr;
};

}  // namespace looplive::packager
