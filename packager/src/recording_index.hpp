#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "looplive/core/media_types.hpp"
#include "looplive/core/result.hpp"
#include "looplive/packager/live_view.hpp"

namespace looplive::packager {

// A recorded track's completed segments as they are on disk, so a restart can
// finalize the VOD of a stream that was live when the process died. The index
// (live/<id>/recording_video.m3u8, recording_audio.m3u8) is an EVENT playlist
// that players can use as it is; comment lines, which players skip, carry
// what HLS has no tag for: the track description and each segment's exact
// timeline position and period.
struct RecordedTrack {
  core::TrackInfo track;              // no codec_config: the init segments hold it
  std::vector<SegmentInfo> segments;  // oldest first; bytes left at 0
};

std::string render_recording_index(const core::TrackInfo& track,
                                   std::span<const SegmentInfo> segments);
// The lines one more segment adds to an index whose last segment is `previous`
// (nullptr when it has none), so the index grows by appending.
std::string render_recording_entry(const SegmentInfo* previous, const SegmentInfo& segment);
// The #EXT-X-TARGETDURATION of an index whose longest segment lasts `longest_ms`;
// a segment longer than its index's target cannot be appended to it.
int64_t recording_target_seconds(int64_t longest_ms);
// A final line cut short (a crash during an append) is left out, with what it began.
core::Result<RecordedTrack> parse_recording_index(std::string_view text);

}  // namespace looplive::packager
