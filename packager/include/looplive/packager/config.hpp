#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "looplive/core/config_section.hpp"

namespace looplive::packager {

// The packager: section of the configuration file.
struct PackagerConfig {
  std::string media_root = "var/media";               // live/{id}/... and vods/{id}... below it
  std::chrono::milliseconds segment_duration{2'000};  // target; cuts happen on keyframes
  // CMAF chunk (moof + mdat) inside a segment, listed as an LL-HLS part.
  std::chrono::milliseconds part_duration{333};
  uint32_t live_window = 6;  // segments listed in a live playlist
  // Also keep the live window on disk: segments, playlists, MPD, thumbnail. Recorded
  // streams always write their segments and recording index; the origin serves the
  // live window from memory either way.
  bool write_live_to_disk = false;
  bool thumbnails = false;  // a JPEG of each segment's first keyframe as live/{id}/thumbnail.jpg

  bool operator==(const PackagerConfig&) const = default;
};

void read_config(core::ConfigSection section, PackagerConfig& config);

}  // namespace looplive::packager
