#include "rung_encoder.hpp"

#include <algorithm>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libavutil/hwcontext.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

#include "av_dictionary.hpp"
#include "looplive/media/annexb.hpp"
#include "looplive/media/codec_config.hpp"

namespace looplive::transcode {
namespace {

// Keyframes are forced by the caller; libx264 must not add its own.
constexpr int kLongGop = 100'000;
constexpr double kUnknownFrameRate = 30;

// VAAPI encoders (Intel and AMD GPUs) take surfaces in GPU memory, not
// pictures in ours.
bool encodes_gpu_surfaces(const std::string& encoder) {
  return encoder.ends_with("_vaapi");
}

// A pool of NV12 surfaces on the first VAAPI device the driver finds (a
// /dev/dri render node).
core::Result<AVBufferRef*> open_gpu_frames(const std::string& encoder, int width, int height) {
  AVBufferRef* device = nullptr;
  if (int rc = av_hwdevice_ctx_create(&device, AV_HWDEVICE_TYPE_VAAPI, nullptr, nullptr, 0); rc < 0)
    return av::av_error(encoder +
                            " needs a VAAPI device (a /dev/dri render node and its "
                            "VA-API driver) and found none",
                        rc);
  AVBufferRef* frames = av_hwframe_ctx_alloc(device);
  av_buffer_unref(&device);  // the pool holds its own reference
  if (frames == nullptr) return core::Error{"out of memory"};
  auto* pool = reinterpret_cast<AVHWFramesContext*>(frames->data);
  pool->format = AV_PIX_FMT_VAAPI;
  pool->sw_format = AV_PIX_FMT_NV12;
  pool->width = width;
  pool->height = height;
  pool->initial_pool_size = 16;
  if (int rc = av_hwframe_ctx_init(frames); rc < 0) {
    av_buffer_unref(&frames);
    return av::av_error(encoder + " surfaces", rc);
  }
  return frames;
}

}  // namespace

RungEncoder::~RungEncoder() {
  sws_freeContext(scaler_);
  av_frame_free(&picture_);
  av_frame_free(&uploaded_);
  av_buffer_unref(&gpu_frames_);
}

core::Result<std::unique_ptr<RungEncoder>> RungEncoder::open(const RungPlan& plan,
                                                             const EncoderSettings& settings,
                                                             uint32_t timescale, double frame_rate,
                                                             uint8_t track_id) {
  const AVCodec* codec = avcodec_find_encoder_by_name(settings.encoder.c_str());
  if (codec == nullptr) return core::Error{"no encoder named " + settings.encoder};
  av::CodecContextPtr encoder(avcodec_alloc_context3(codec));
  if (!encoder) return core::Error{"out of memory"};
  std::unique_ptr<RungEncoder> out(new RungEncoder());
  encoder->width = plan.width;
  encoder->height = plan.height;
  encoder->pix_fmt = AV_PIX_FMT_YUV420P;
  if (encodes_gpu_surfaces(settings.encoder)) {
    auto frames = open_gpu_frames(settings.encoder, plan.width, plan.height);
    if (!frames) return frames.error();
    out->gpu_frames_ = frames.value();
    encoder->pix_fmt = AV_PIX_FMT_VAAPI;
    encoder->hw_frames_ctx = av_buffer_ref(out->gpu_frames_);
    out->uploaded_ = av_frame_alloc();
    if (encoder->hw_frames_ctx == nullptr || out->uploaded_ == nullptr)
      return core::Error{"out of memory"};
  }
  encoder->time_base = AVRational{1, static_cast<int>(timescale)};
  // Zero latency makes libx264 share the bitrate out by the frame rate, not
  // the timestamps. Without one (none in the encoder's onMetaData or decoder
  // record) it would take the timescale's, 1000 pictures a second: QP 51 and
  // a twentieth of the bitrate, and a level the phones low rungs are for may
  // refuse (4.2 at 240p). The usual live rate is assumed instead; a 60 fps
  // source that says nothing gets twice its rungs' bitrate.
  encoder->framerate = av_d2q(frame_rate > 0 ? frame_rate : kUnknownFrameRate, 1'000'000);
  encoder->bit_rate = static_cast<int64_t>(plan.bitrate);
  // A rung must fit the bandwidth it is listed with: a VBV of two seconds
  // at the target rate caps its peaks.
  encoder->rc_max_rate = static_cast<int64_t>(plan.bitrate);
  encoder->rc_buffer_size = static_cast<int>(std::min<uint64_t>(plan.bitrate * 2, INT32_MAX));
  encoder->gop_size = kLongGop;
  encoder->max_b_frames = 0;
  encoder->thread_count = static_cast<int>(settings.threads);
  encoder->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  Dictionary options;
  options.set("forced-idr", "1");
  if (settings.encoder == "libx264") {
    options.set("preset", settings.preset);
    // No lookahead and no frame threads: each picture comes out as it goes in.
    if (settings.low_latency) options.set("tune", "zerolatency");
    options.set("x264-params", "scenecut=0:open-gop=0");
  }
  if (int rc = avcodec_open2(encoder.get(), codec, &options.entries); rc < 0)
    return av::av_error("open " + settings.encoder, rc);
  const std::span<const uint8_t> header(encoder->extradata,
                                        static_cast<size_t>(encoder->extradata_size));
  core::Result<core::SharedBytes> record = !header.empty() && header[0] == 1
                                               ? core::SharedBytes::copy_of(header)
                                               : media::avcc_from_annexb(header);
  if (!record) return core::Error{settings.encoder + " header: " + record.error().message};
  const auto parsed = media::parse_avcc(record->span());
  if (!parsed) return core::Error{settings.encoder + " header: " + parsed.error().message};

  out->plan_ = plan;
  core::TrackInfo& track = out->track_;
  track.id = track_id;
  track.kind = core::MediaKind::video;
  track.rendition = plan.rendition;
  track.codec = core::Codec::h264;
  track.timescale = timescale;
  track.codec_config = std::move(record.value());
  track.codec_string = parsed->codec_string;
  track.width = plan.width;
  track.height = plan.height;
  track.frame_rate = frame_rate;
  out->encoder_ = std::move(encoder);
  out->packet_.reset(av_packet_alloc());
  out->picture_ = av_frame_alloc();
  if (!out->packet_ || out->picture_ == nullptr) return core::Error{"out of memory"};
  // What the GPU surfaces hold, uploaded as it is.
  out->picture_->format = out->gpu_frames_ != nullptr ? AV_PIX_FMT_NV12 : AV_PIX_FMT_YUV420P;
  out->picture_->width = plan.width;
  out->picture_->height = plan.height;
  if (int rc = av_frame_get_buffer(out->picture_, 0); rc < 0)
    return av::av_error("picture buffer", rc);
  return out;
}

core::Status RungEncoder::encode(const AVFrame& picture, bool keyframe, int64_t pts, int64_t dts,
                                 std::vector<core::MediaPacket>& out) {
  scaler_ = sws_getCachedContext(scaler_, picture.width, picture.height,
                                 static_cast<AVPixelFormat>(picture.format), plan_.width,
                                 plan_.height, static_cast<AVPixelFormat>(picture_->format),
                                 SWS_BICUBIC, nullptr, nullptr, nullptr);
  if (scaler_ == nullptr) return core::Error{"no scaler for the source's pictures"};
  // The encoder may still hold the last picture's buffer.
  if (int rc = av_frame_make_writable(picture_); rc < 0) return av::av_error("picture buffer", rc);
  sws_scale(scaler_, picture.data, picture.linesize, 0, picture.height, picture_->data,
            picture_->linesize);
  AVFrame* sent = picture_;
  if (gpu_frames_ != nullptr) {
    av_frame_unref(uploaded_);
    if (int rc = av_hwframe_get_buffer(gpu_frames_, uploaded_, 0); rc < 0)
      return av::av_error("GPU surface", rc);
    if (int rc = av_hwframe_transfer_data(uploaded_, picture_, 0); rc < 0)
      return av::av_error("upload to the GPU", rc);
    sent = uploaded_;
  }
  sent->pts = pts;
  // libx264 (forced-idr) and VAAPI encoders make an IDR picture of it.
  sent->pict_type = keyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
  decode_times_.push_back(dts);
  if (int rc = avcodec_send_frame(encoder_.get(), sent); rc < 0) return av::av_error("encode", rc);
  return receive(out);
}

core::Status RungEncoder::flush(std::vector<core::MediaPacket>& out) {
  if (int rc = avcodec_send_frame(encoder_.get(), nullptr); rc < 0 && rc != AVERROR_EOF)
    return av::av_error("encode", rc);
  return receive(out);
}

core::Status RungEncoder::receive(std::vector<core::MediaPacket>& out) {
  AVPacket* packet = packet_.get();
  int rc = 0;
  while ((rc = avcodec_receive_packet(encoder_.get(), packet)) >= 0) {
    core::MediaPacket encoded;
    encoded.track = track_.id;
    encoded.pts = packet->pts;
    encoded.dts = packet->pts;
    if (!decode_times_.empty()) {
      encoded.dts = std::min(decode_times_.front(), packet->pts);
      decode_times_.pop_front();
    }
    encoded.keyframe = (packet->flags & AV_PKT_FLAG_KEY) != 0;
    encoded.payload =
        media::length_prefixed_access_unit({packet->data, static_cast<size_t>(packet->size)});
    av_packet_unref(packet);
    out.push_back(std::move(encoded));
  }
  if (rc != AVERROR(EAGAIN) && rc != AVERROR_EOF) return av::av_error("encode", rc);
  return core::Ok{};
}

}  // namespace looplive::transcode
