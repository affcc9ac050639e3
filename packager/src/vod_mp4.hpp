#pragma once

#include <cstdint>
#include <filesystem>
#include <span>

#include "looplive/core/result.hpp"
#include "looplive/packager/live_view.hpp"
#include "tag_book.hpp"

namespace looplive::packager {

// Remuxes a recorded stream's CMAF segments (in `dir`) into one MP4 with its
// index before the media (faststart), for download. Periods are played back
// to back, so reconnect gaps vanish and timestamps only increase, and the
// file starts at zero. A track must keep one codec configuration: FFmpeg
// 5.1's mp4 muxer writes a single sample description per track. The file is
// written under a temporary name, synced and renamed over `target`. Each
// product tag becomes a chapter at its time, titled with its action and
// product id ("show sku-123"), after one titled "start" from zero. Returns
// its duration in milliseconds.
core::Result<int64_t> write_vod_mp4(const std::filesystem::path& dir,
                                    std::span<const SegmentInfo> video,
                                    std::span<const SegmentInfo> audio,
                                    const std::filesystem::path& target,
                                    std::span<const TagRange> tags = {});

}  // namespace looplive::packager
