#include <string>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
}

#include "looplive/av/version.hpp"

namespace looplive::av {

namespace {

std::string dotted(unsigned version) {
  return std::to_string(AV_VERSION_MAJOR(version)) + "." +
         std::to_string(AV_VERSION_MINOR(version)) + "." +
         std::to_string(AV_VERSION_MICRO(version));
}

}  // namespace

std::string ffmpeg_version() {
  return std::string("FFmpeg ") + av_version_info() + " (libavformat " +
         dotted(avformat_version()) + ", libavcodec " + dotted(avcodec_version()) + ", libavutil " +
         dotted(avutil_version()) + ")";
}

}  // namespace looplive::av
