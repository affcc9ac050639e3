#include <algorithm>
#include <cmath>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include "file_input.hpp"
#include "looplive/transcode/file_transcode.hpp"
#include "picture_rotation.hpp"

namespace looplive::transcode {

core::Result<FileProbe> describe(InputFile& input) {
  AVFormatContext* context = input.context();
  const AVStream* video = input.video();
  const AVStream* audio = input.audio();
  if (video == nullptr)
    return core::Error{audio != nullptr ? "no video stream (audio only)" : "no video stream"};
  FileProbe probe;
  probe.format = context->iformat->name;
  if (context->duration == AV_NOPTS_VALUE || context->duration <= 0) {
    if (video->duration == AV_NOPTS_VALUE || video->duration <= 0)
      return core::Error{"the video's length is unknown"};
    probe.duration_seconds = static_cast<double>(video->duration) * av_q2d(video->time_base);
  } else {
    probe.duration_seconds = static_cast<double>(context->duration) / AV_TIME_BASE;
  }
  probe.bit_rate = context->bit_rate > 0 ? static_cast<uint64_t>(context->bit_rate) : 0;
  const AVCodecParameters& picture = *video->codecpar;
  probe.video_codec = avcodec_get_name(picture.codec_id);
  if (picture.width <= 0 || picture.height <= 0 || picture.width > 65535 || picture.height > 65535)
    return core::Error{"the video's picture size is unknown"};
  // Non-square pixels (anamorphic DVD, HDV): the width shown, which the
  // square-pixel rungs and the poster keep.
  const AVRational sar =
      av_guess_sample_aspect_ratio(context, const_cast<AVStream*>(video), nullptr);
  double width = picture.width;
  if (sar.num > 0 && sar.den > 0) width = width * sar.num / sar.den;
  probe.width = static_cast<uint16_t>(std::clamp(2 * std::lround(width / 2), 2L, 65534L));
  probe.height = static_cast<uint16_t>(picture.height);
  probe.rotation = display_rotation(*video);
  if (probe.rotation == 90 || probe.rotation == 270) {
    probe.height = probe.width;
    probe.width = static_cast<uint16_t>(std::max(2, picture.height / 2 * 2));
  }
  const AVRational rate = av_guess_frame_rate(context, const_cast<AVStream*>(video), nullptr);
  if (rate.num > 0 && rate.den > 0) probe.frame_rate = av_q2d(rate);
  if (audio != nullptr) {
    probe.audio_codec = avcodec_get_name(audio->codecpar->codec_id);
    probe.sample_rate = static_cast<uint32_t>(std::max(0, audio->codecpar->sample_rate));
    probe.channels =
        static_cast<uint8_t>(std::clamp(audio->codecpar->ch_layout.nb_channels, 0, 255));
  }
  return probe;
}

core::Result<FileProbe> probe_file(const std::string& source, const FileOptions& options) {
  auto input = InputFile::open(source, options);
  if (!input) return input.error();
  return describe(*input.value());
}

}  // namespace looplive::transcode
