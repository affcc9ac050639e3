#pragma once

#include "live_window.hpp"
#include "looplive/packager/packager.hpp"

namespace looplive::packager {

// Finalizes, from the files alone, a stream that was live when the process
// died: leftover temporary files go; a recorded stream gets its final live
// playlists and its VOD from the recording index, which lists only segments
// that were completely on disk, with `tags`; an unrecorded one just has its
// media playlists closed with EXT-X-ENDLIST.
EndResult recover_from_disk(const StreamSettings& settings, std::shared_ptr<TagBook> tags);

struct StreamState;
// A recorded stream published again after a restart, within its reconnect
// window: what a previous run recorded is taken back from the recording index
// so the stream continues after it (numbering, a new init segment name, a
// discontinuity) instead of writing over its files, and its VOD covers both
// runs. Called on a new StreamState before its first publish; false when
// there was nothing to resume.
bool resume_from_disk(StreamState& stream, const StreamSettings& settings);

}  // namespace looplive::packager
