#pragma once

#include <string>

namespace looplive::av {

// The FFmpeg libraries in use: "FFmpeg 5.1.6 (libavformat 59.27.100, ...)".
std::string ffmpeg_version();

}  // namespace looplive::av
