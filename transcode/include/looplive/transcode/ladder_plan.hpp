#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "looplive/core/media_types.hpp"
#include "looplive/transcode/config.hpp"

namespace looplive::transcode {

// One rendition the ladder encodes from the source.
struct RungPlan {
  uint8_t rendition = 0;  // 1, 2, ...: rendition 0 is the source itself
  uint16_t width = 0;
  uint16_t height = 0;
  uint64_t bitrate = 0;  // bits per second
  bool operator==(const RungPlan&) const = default;
};

// The rungs for a source video track, largest first: the `wanted` ones (or,
// when empty, the usual rungs below the source's height) that do not need
// upscaling. A source browsers cannot play (HEVC, AV1) always gets an H.264
// rung, at its own height when nothing smaller is planned. Empty when the
// source's size is unknown.
// The usual H.264 bitrate for a height: that of the smallest usual rung at
// least as tall (1080p's above it).
uint64_t usual_bitrate(uint16_t height);

std::vector<RungPlan> plan_ladder(const core::TrackInfo& source,
                                  std::span<const core::Rung> wanted);

// Only what browsers need: for a source they cannot play (HEVC, AV1), one
// H.264 rung at its own height (1080p at most); for H.264, none.
std::vector<RungPlan> plan_compatible_rung(const core::TrackInfo& source);

}  // namespace looplive::transcode
