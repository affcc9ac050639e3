#pragma once

#include "looplive/packager/packager.hpp"
#include "stream_publisher.hpp"

namespace looplive::packager {

// Finalizes, from the files alone, a stream that was live when the process
// died: leftover temporary files go; a recorded stream gets its final live
// playlists and its VOD from the recording index, which lists only segments
// that were completely on disk; an unrecorded one just has its media
// playlists closed with EXT-X-ENDLIST.
EndResult recover_from_disk(const PublisherSettings& settings);

}  // namespace looplive::packager
