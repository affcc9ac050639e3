#include "thumbnailer.hpp"

#include "looplive/av/decoder.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>
}

namespace looplive::packager {
namespace {

// A JPEG quantizer scale: 2 is near lossless, 31 the coarsest.
constexpr int kJpegQuality = 5;

bool full_range(const AVFrame& frame) {
  const auto format = static_cast<AVPixelFormat>(frame.format);
  return frame.color_range == AVCOL_RANGE_JPEG || format == AV_PIX_FMT_YUVJ420P ||
         format == AV_PIX_FMT_YUVJ422P || format == AV_PIX_FMT_YUVJ444P;
}

}  // namespace

Thumbnailer::~Thumbnailer() {
  sws_freeContext(scaler_);
  av_frame_free(&decoded_);
  av_frame_free(&scaled_);
}

core::Result<std::unique_ptr<Thumbnailer>> Thumbnailer::open(const core::TrackInfo& track,
                                                             int max_width) {
  // One still per segment does not need decoder threads of its own beside the I/O threads.
  auto decoder = av::open_decoder(track, 1);
  if (!decoder) return decoder.error();
  std::unique_ptr<Thumbnailer> out(new Thumbnailer());
  out->max_width_ = std::max(16, max_width);
  out->decoder_ = std::move(decoder.value());
  out->decoded_ = av_frame_alloc();
  out->scaled_ = av_frame_alloc();
  out->packet_.reset(av_packet_alloc());
  if (out->decoded_ == nullptr || out->scaled_ == nullptr || !out->packet_) {
    return core::Error{"out of memory"};
  }
  return out;
}

core::Result<core::SharedBytes> Thumbnailer::encode(const core::MediaPacket& keyframe) {
  if (core::Status status = decode(keyframe); !status) return status.error();
  if (core::Status status = scale(); !status) return status.error();
  return compress();
}

// The keyframe alone, then a drain, then a reset so the next one starts clean.
core::Status Thumbnailer::decode(const core::MediaPacket& keyframe) {
  av_frame_unref(decoded_);
  int rc = av::send_packet(decoder_.get(), packet_.get(), keyframe);
  // Draining right away gets the picture out of a decoder that would wait for reordering.
  if (rc >= 0) rc = avcodec_send_packet(decoder_.get(), nullptr);
  const bool got = rc >= 0 && avcodec_receive_frame(decoder_.get(), decoded_) >= 0;
  avcodec_flush_buffers(decoder_.get());
  if (!got) return core::Error{"the keyframe decoded to no picture"};
  return core::Ok{};
}

core::Status Thumbnailer::scale() {
  const int width = std::min(max_width_, decoded_->width) & ~1;
  const int height =
      std::max(2, static_cast<int>(int64_t{decoded_->height} * width / decoded_->width) & ~1);
  scaler_ = sws_getCachedContext(scaler_, decoded_->width, decoded_->height,
                                 static_cast<AVPixelFormat>(decoded_->format), width, height,
                                 AV_PIX_FMT_YUV420P, SWS_BICUBIC, nullptr, nullptr, nullptr);
  if (scaler_ == nullptr) return core::Error{"no scaler for this picture"};
  // JPEG wants full-range YUV; video is usually limited range.
  const int* coefficients = sws_getCoefficients(SWS_CS_DEFAULT);
  sws_setColorspaceDetails(scaler_, coefficients, full_range(*decoded_) ? 1 : 0, coefficients, 1, 0,
                           1 << 16, 1 << 16);
  av_frame_unref(scaled_);
  scaled_->format = AV_PIX_FMT_YUV420P;
  scaled_->width = width;
  scaled_->height = height;
  if (int rc = av_frame_get_buffer(scaled_, 0); rc < 0) return av::av_error("frame buffer", rc);
  if (int rc = sws_scale(scaler_, decoded_->data, decoded_->linesize, 0, decoded_->height,
                         scaled_->data, scaled_->linesize);
      rc < 0) {
    return av::av_error("scale", rc);
  }
  scaled_->color_range = AVCOL_RANGE_JPEG;
  return core::Ok{};
}

core::Result<core::SharedBytes> Thumbnailer::compress() {
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
  if (codec == nullptr) return core::Error{"no JPEG encoder"};
  AVCodecContext* encoder = avcodec_alloc_context3(codec);
  if (encoder == nullptr) return core::Error{"out of memory"};
  encoder->width = scaled_->width;
  encoder->height = scaled_->height;
  encoder->pix_fmt = AV_PIX_FMT_YUV420P;
  encoder->color_range = AVCOL_RANGE_JPEG;
  encoder->time_base = AVRational{1, 1};
  encoder->flags |= AV_CODEC_FLAG_QSCALE;
  encoder->global_quality = FF_QP2LAMBDA * kJpegQuality;
  scaled_->quality = encoder->global_quality;
  scaled_->pts = 0;
  core::Result<core::SharedBytes> out = core::Error{"the encoder gave nothing"};
  int rc = avcodec_open2(encoder, codec, nullptr);
  if (rc >= 0) rc = avcodec_send_frame(encoder, scaled_);
  if (rc >= 0) rc = avcodec_send_frame(encoder, nullptr);
  AVPacket* packet = packet_.get();
  if (rc >= 0) rc = avcodec_receive_packet(encoder, packet);
  if (rc >= 0) {
    out = core::SharedBytes::copy_of({packet->data, static_cast<size_t>(packet->size)});
    av_packet_unref(packet);
  } else {
    out = av::av_error("encode JPEG", rc);
  }
  avcodec_free_context(&encoder);
  return out;
}

}  // namespace looplive::packager
