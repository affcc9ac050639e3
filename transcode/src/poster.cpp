#include <algorithm>
#include <cmath>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>
}

#include "file_input.hpp"
#include "looplive/av/ffmpeg_ptr.hpp"
#include "looplive/transcode/file_transcode.hpp"
#include "picture_rotation.hpp"

namespace looplive::transcode {
namespace {

// libavcodec's mjpeg quantiser scale: 2 is near lossless, 31 the worst.
constexpr int kJpegQuality = 3;

int even(double value) {
  return std::max(2, 2 * static_cast<int>(std::lround(value / 2)));
}

// The decoded picture to show: the first at or after `at` (stream time
// base), else the last one.
core::Result<av::AvFramePtr> pick_picture(InputFile& input, const AVStream& stream, int64_t at) {
  auto decoder = open_stream_decoder(stream, 1);
  if (!decoder) return decoder.error();
  AVFormatContext* context = input.context();
  // Seeking lands on the keyframe before `at`; a file that cannot seek is
  // read from its start.
  if (at > stream.start_time && at > 0)
    av_seek_frame(context, stream.index, at, AVSEEK_FLAG_BACKWARD);
  av::AvPacketPtr packet(av_packet_alloc());
  av::AvFramePtr decoded(av_frame_alloc());
  av::AvFramePtr last(av_frame_alloc());
  if (!packet || !decoded || !last) return core::Error{"out of memory"};
  bool have_last = false;
  int last_error = 0;
  bool draining = false;
  while (true) {
    if (input.cancelled()) return core::Error{"cancelled"};
    if (!draining) {
      const int rc = av_read_frame(context, packet.get());
      if (rc == AVERROR_EXIT) return input.error("read", rc);
      if (rc < 0) {
        draining = true;
        avcodec_send_packet(decoder->get(), nullptr);
      } else {
        if (packet->stream_index == stream.index) {
          const int sent = avcodec_send_packet(decoder->get(), packet.get());
          if (sent < 0) last_error = sent;
        }
        av_packet_unref(packet.get());
      }
    }
    int rc = 0;
    while ((rc = avcodec_receive_frame(decoder->get(), decoded.get())) >= 0) {
      const int64_t pts = decoded->best_effort_timestamp;
      if (pts != AV_NOPTS_VALUE && pts >= at) return decoded;
      av_frame_unref(last.get());
      av_frame_move_ref(last.get(), decoded.get());
      have_last = true;
    }
    if (rc != AVERROR(EAGAIN) && rc != AVERROR_EOF) last_error = rc;
    if (draining && rc == AVERROR_EOF) break;
    if (draining && rc == AVERROR(EAGAIN)) break;
  }
  if (have_last) return last;
  return core::Error{"no picture could be decoded" +
                     (last_error != 0 ? " (" + av::av_error_text(last_error) + ")" : "")};
}

// `shown_width`: the picture's width on screen (its pixels may not be square).
core::Result<std::string> encode_jpeg(const AVFrame& picture, int shown_width, int max_width) {
  // At most max_width: an odd width rounds down.
  const int width =
      std::max(2, (max_width > 0 ? std::min(max_width, shown_width) : shown_width) / 2 * 2);
  const int height = even(static_cast<double>(picture.height) * width / shown_width);
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
  if (codec == nullptr) return core::Error{"no JPEG encoder"};
  av::CodecContextPtr encoder(avcodec_alloc_context3(codec));
  av::AvFramePtr scaled(av_frame_alloc());
  av::AvPacketPtr packet(av_packet_alloc());
  if (!encoder || !scaled || !packet) return core::Error{"out of memory"};
  // Full-range YUV, what JPEG viewers expect (libavcodec 59 still names it yuvj420p).
  encoder->pix_fmt = AV_PIX_FMT_YUVJ420P;
  encoder->width = width;
  encoder->height = height;
  encoder->time_base = AVRational{1, 25};
  encoder->flags |= AV_CODEC_FLAG_QSCALE;
  encoder->global_quality = FF_QP2LAMBDA * kJpegQuality;
  if (int rc = avcodec_open2(encoder.get(), codec, nullptr); rc < 0)
    return av::av_error("open JPEG encoder", rc);
  scaled->format = AV_PIX_FMT_YUVJ420P;
  scaled->width = width;
  scaled->height = height;
  if (int rc = av_frame_get_buffer(scaled.get(), 0); rc < 0)
    return av::av_error("picture buffer", rc);
  SwsContext* scaler =
      sws_getContext(picture.width, picture.height, static_cast<AVPixelFormat>(picture.format),
                     width, height, AV_PIX_FMT_YUVJ420P, SWS_BICUBIC, nullptr, nullptr, nullptr);
  if (scaler == nullptr) return core::Error{"no scaler for the video's pictures"};
  sws_scale(scaler, picture.data, picture.linesize, 0, picture.height, scaled->data,
            scaled->linesize);
  sws_freeContext(scaler);
  scaled->pts = 0;
  scaled->quality = encoder->global_quality;
  if (int rc = avcodec_send_frame(encoder.get(), scaled.get()); rc < 0)
    return av::av_error("encode JPEG", rc);
  avcodec_send_frame(encoder.get(), nullptr);
  if (int rc = avcodec_receive_packet(encoder.get(), packet.get()); rc < 0)
    return av::av_error("encode JPEG", rc);
  return std::string(reinterpret_cast<const char*>(packet->data),
                     static_cast<size_t>(packet->size));
}

}  // namespace

core::Result<std::string> poster_jpeg(const std::string& source, double at_seconds, int max_width,
                                      const FileOptions& options) {
  auto input = InputFile::open(source, options);
  if (!input) return input.error();
  auto probe = describe(*input.value());
  if (!probe) return probe.error();
  const AVStream& stream = *input.value()->video();
  const int64_t at = input.value()->start_in(stream) +
                     static_cast<int64_t>(std::max(0.0, at_seconds) / av_q2d(stream.time_base));
  auto picture = pick_picture(*input.value(), stream, at);
  if (!picture) return picture.error();
  // The picture's own width, should it differ from the stream's.
  const AVFrame& stored = *picture.value();
  const bool quarter = probe->rotation == 90 || probe->rotation == 270;
  const int stored_shown_width = quarter ? probe->height : probe->width;
  const int shown_width = static_cast<int>(
      std::lround(static_cast<double>(stored_shown_width) * stored.width / stream.codecpar->width));
  PictureRotation rotation(probe->rotation);
  auto upright = rotation.apply(stored);
  if (!upright) return upright.error();
  if (!quarter) return encode_jpeg(*upright.value(), shown_width, max_width);
  // Turned a quarter: shown as wide as the stored picture was tall, as tall
  // as it was shown wide.
  const int upright_shown_width = static_cast<int>(
      std::lround(static_cast<double>(stored.width) * stored.height / shown_width));
  return encode_jpeg(*upright.value(), upright_shown_width, max_width);
}

}  // namespace looplive::transcode
