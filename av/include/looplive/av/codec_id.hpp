#pragma once

extern "C" {
#include <libavcodec/codec_id.h>
}

#include "looplive/core/media_types.hpp"

namespace looplive::av {

// FFmpeg's name for a codec looplive carries.
inline AVCodecID ffmpeg_codec_id(core::Codec codec) {
  switch (codec) {
    case core::Codec::h264:
      return AV_CODEC_ID_H264;
    case core::Codec::hevc:
      return AV_CODEC_ID_HEVC;
    case core::Codec::av1:
      return AV_CODEC_ID_AV1;
    case core::Codec::aac:
      return AV_CODEC_ID_AAC;
    case core::Codec::opus:
      return AV_CODEC_ID_OPUS;
  }
  return AV_CODEC_ID_NONE;
}

}  // namespace looplive::av
