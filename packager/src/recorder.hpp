#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "looplive/core/media_types.hpp"
#include "looplive/packager/live_view.hpp"
#include "looplive/packager/packager.hpp"
#include "stream_disk.hpp"
#include "tag_book.hpp"

namespace looplive::packager {

// A recorded stream's recording, beside its live window: each finished
// segment stored durably and named in its track's recording index (what
// crash recovery reads back), and at the end the VOD: playlists and a static
// MPD pointing at the recorded segments where they lie, and an MP4 of the
// whole show. A segment that does not reach the disk ends the recording
// there, so it never names a missing file nor has a hole in the middle.
class Recorder {
 public:
  // `in_place`: the VOD goes in the live directory (PackagerOptions::vod_in_place).
  Recorder(StreamDisk& disk, std::filesystem::path media_root, std::string stream_id,
           bool in_place);
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Queues the segment's durable write and, once it is stored, its index entry.
  void add_segment(const core::TrackInfo& track, const SegmentInfo& segment,
                   const core::SharedBytes& bytes);
  // A track's recording as read back from disk after a crash, with no write pending.
  void restore(core::TrackKey key, std::vector<SegmentInfo> segments);

  // What the VOD lists of a track, from the live window.
  struct VodTrack {
    const core::TrackInfo* info = nullptr;
    std::string prefix;  // of its segment files
    uint64_t peak_bandwidth = 0;
    uint64_t average_bandwidth = 0;
  };
  // Writes the VOD of the tracks with a recorded segment into `result`
  // (nothing when none has one). With no write pending.
  void write_vod(const std::vector<VodTrack>& tracks, std::span<const TagRange> tags,
                 int64_t segment_ms, const std::string& utc_timing_url, EndResult& result);

 private:
  struct Recorded {
    std::vector<SegmentInfo> segments;
    // The target duration the index on disk was written with; 0 until this
    // run has written it whole (a resumed index may end in a cut-off append).
    int64_t index_target_seconds = 0;
  };
  const std::vector<SegmentInfo>& segments_of(core::TrackKey key) const;
  void index(const core::TrackInfo& track, const SegmentInfo& segment);  // jobs only

  StreamDisk& disk_;
  const std::filesystem::path media_root_;
  const std::string stream_id_;
  const bool in_place_;
  // Touched by the disk's jobs alone, and by restore() and write_vod() once no job is pending.
  std::map<core::TrackKey, Recorded> recorded_;
  bool stopped_ = false;
};

}  // namespace looplive::packager
