#pragma once

// Pacing a looped FLV file in the RTMP tools (rtmp_publish, rtmp_loadgen):
// where a pass starts and how long it lasts, so that passes follow each other
// one frame apart.

#include <algorithm>
#include <cstdint>
#include <vector>

#include "looplive/media/flv_file.hpp"

namespace looplive::tools {

using media::FlvTag;

// The earliest timestamp; pacing counts from here so that a file whose first
// tags are slightly out of order does not start with a wrapped delay.
inline uint32_t min_timestamp_ms(const std::vector<FlvTag>& tags) {
  uint32_t first = tags.empty() ? 0 : tags.front().timestamp_ms;
  for (const FlvTag& tag : tags) {
    first = std::min(first, tag.timestamp_ms);
  }
  return first;
}

// Timestamp span of one pass through the file plus one frame interval, so that
// the first tag of the next pass lands one frame after the last tag of this one.
inline uint32_t loop_period_ms(const std::vector<FlvTag>& tags) {
  constexpr uint32_t kFallbackFrameMs = 40;
  if (tags.empty()) {
    return kFallbackFrameMs;
  }
  const uint32_t first = min_timestamp_ms(tags);
  uint32_t last = first;
  for (const FlvTag& tag : tags) {
    last = std::max(last, tag.timestamp_ms);
  }
  // The final distinct step between frames of one kind approximates its frame duration.
  auto frame_step = [&tags](uint8_t type) -> uint32_t {
    uint32_t newer = 0;
    bool have_newer = false;
    for (auto it = tags.rbegin(); it != tags.rend(); ++it) {
      if (it->type != type || media::is_sequence_header(*it)) {
        continue;
      }
      if (!have_newer) {
        newer = it->timestamp_ms;
        have_newer = true;
      } else if (it->timestamp_ms < newer) {
        return newer - it->timestamp_ms;
      }
    }
    return 0;
  };
  uint32_t step = frame_step(media::kFlvTagVideo);
  if (step == 0) {
    step = frame_step(media::kFlvTagAudio);
  }
  if (step == 0) {
    step = kFallbackFrameMs;
  }
  return last - first + step;
}

}  // namespace looplive::tools
