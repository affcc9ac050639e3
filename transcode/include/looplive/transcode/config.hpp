#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "looplive/core/config_section.hpp"
#include "looplive/core/ladder_choice.hpp"

namespace looplive::transcode {

// The ladder: section of the configuration file.
struct LadderConfig {
  // The ladder of a stream that does not ask for its own (POST /v1/streams
  // "ladder"): none, one (rungs below), or, by default, an H.264 rung for a
  // source browsers cannot play (HEVC, AV1) and nothing for H.264.
  core::LadderChoice by_default{.enabled = true, .compatible_only = true};
  // The rungs of every ladder; empty: derived from the source (a 1080p
  // source gets 720p, 480p and 360p).
  std::vector<core::Rung> rungs;
  // An H.264 encoder of libavcodec: libx264 (software), or h264_vaapi /
  // h264_nvenc where the machine has them.
  std::string encoder = "libx264";
  std::string preset = "veryfast";  // libx264's speed and quality trade
  // Threads each laddered stream may keep busy decoding and encoding.
  uint32_t threads = 1;
  // How long a source frame may wait for the ladder (wall clock) before the
  // ladder counts as too slow for real time and drops its largest rung.
  uint32_t max_delay_ms = 2000;

  bool operator==(const LadderConfig&) const = default;
};

void read_config(core::ConfigSection section, LadderConfig& config);
// A list of at most 4 rungs ("720p@2800k") at `key`, replacing `rungs` when present.
void read_rungs(core::ConfigSection& section, const std::string& key,
                std::vector<core::Rung>& rungs);

}  // namespace looplive::transcode
