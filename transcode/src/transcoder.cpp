#include "transcoder.hpp"

#include <algorithm>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

#include "looplive/media/annexb.hpp"
#include "looplive/media/codec_config.hpp"

namespace looplive::transcode {
namespace {

// Keyframes come from the source (forced); libx264 must not add its own.
constexpr int kLongGop = 100'000;
// Source keyframes remembered while their pictures are in the decoder.
constexpr size_t kMaxKeyframesPending = 64;

struct Dictionary {
  AVDictionary* entries = nullptr;
  ~Dictionary() { av_dict_free(&entries); }
  void set(const char* key, const std::string& value) {
    av_dict_set(&entries, key, value.c_str(), 0);
  }
};

}  // namespace

Transcoder::~Transcoder() {
  for (Rung& rung : rungs_) {
    sws_freeContext(rung.scaler);
    av_frame_free(&rung.picture);
  }
  av_frame_free(&decoded_);
}

core::Result<std::unique_ptr<Transcoder>> Transcoder::open(const core::TrackInfo& source,
                                                           std::span<const RungPlan> plan,
                                                           const LadderConfig& config,
                                                           uint8_t first_track_id) {
  auto decoder = av::open_decoder(source, static_cast<int>(config.threads));
  if (!decoder) return decoder.error();
  std::unique_ptr<Transcoder> out(new Transcoder());
  out->source_ = source;
  out->decoder_ = std::move(decoder.value());
  out->decoded_ = av_frame_alloc();
  out->packet_.reset(av_packet_alloc());
  if (out->decoded_ == nullptr || !out->packet_) return core::Error{"out of memory"};
  for (const RungPlan& rung : plan) {
    const auto id = static_cast<uint8_t>(first_track_id + out->rungs_.size());
    if (core::Status status = out->open_rung(source, rung, config, id); !status)
      return status.error();
  }
  return out;
}

core::Status Transcoder::open_rung(const core::TrackInfo& source, const RungPlan& plan,
                                   const LadderConfig& config, uint8_t track_id) {
  const AVCodec* codec = avcodec_find_encoder_by_name(config.encoder.c_str());
  if (codec == nullptr) return core::Error{"no encoder named " + config.encoder};
  av::CodecContextPtr encoder(avcodec_alloc_context3(codec));
  if (!encoder) return core::Error{"out of memory"};
  encoder->width = plan.width;
  encoder->height = plan.height;
  encoder->pix_fmt = AV_PIX_FMT_YUV420P;
  encoder->time_base = AVRational{1, static_cast<int>(source.timescale)};
  if (source.frame_rate > 0) encoder->framerate = av_d2q(source.frame_rate, 1'000'000);
  encoder->bit_rate = static_cast<int64_t>(plan.bitrate);
  // A live rung must fit the bandwidth it is listed with: a VBV of two
  // seconds at the target rate caps its peaks.
  encoder->rc_max_rate = static_cast<int64_t>(plan.bitrate);
  encoder->rc_buffer_size = static_cast<int>(std::min<uint64_t>(plan.bitrate * 2, INT32_MAX));
  encoder->gop_size = kLongGop;
  encoder->max_b_frames = 0;
  encoder->thread_count = static_cast<int>(config.threads);
  encoder->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  Dictionary options;
  options.set("forced-idr", "1");
  if (config.encoder == "libx264") {
    options.set("preset", config.preset);
    // No lookahead and no frame threads: each picture comes out as it goes in.
    options.set("tune", "zerolatency");
    options.set("x264-params", "scenecut=0:open-gop=0");
  }
  if (int rc = avcodec_open2(encoder.get(), codec, &options.entries); rc < 0)
    return av::av_error("open " + config.encoder, rc);
  const std::span<const uint8_t> header(encoder->extradata,
                                        static_cast<size_t>(encoder->extradata_size));
  core::Result<core::SharedBytes> record = !header.empty() && header[0] == 1
                                               ? core::SharedBytes::copy_of(header)
                                               : media::avcc_from_annexb(header);
  if (!record) return core::Error{config.encoder + " header: " + record.error().message};
  const auto parsed = media::parse_avcc(record->span());
  if (!parsed) return core::Error{config.encoder + " header: " + parsed.error().message};

  core::TrackInfo track;
  track.id = track_id;
  track.kind = core::MediaKind::video;
  track.rendition = plan.rendition;
  track.codec = core::Codec::h264;
  track.timescale = source.timescale;
  track.codec_config = std::move(record.value());
  track.codec_string = parsed->codec_string;
  track.width = plan.width;
  track.height = plan.height;
  track.frame_rate = source.frame_rate;
  tracks_.push_back(std::move(track));

  Rung rung;
  rung.plan = plan;
  rung.encoder = std::move(encoder);
  rung.picture = av_frame_alloc();
  if (rung.picture == nullptr) return core::Error{"out of memory"};
  rung.picture->format = AV_PIX_FMT_YUV420P;
  rung.picture->width = plan.width;
  rung.picture->height = plan.height;
  if (int rc = av_frame_get_buffer(rung.picture, 0); rc < 0) {
    av_frame_free(&rung.picture);
    return av::av_error("picture buffer", rc);
  }
  rungs_.push_back(std::move(rung));
  return core::Ok{};
}

core::Status Transcoder::push(const core::MediaPacket& packet,
                              std::vector<core::MediaPacket>& out) {
  // Pictures before the first keyframe cannot be decoded.
  if (!started_ && !packet.keyframe) return core::Ok{};
  started_ = true;
  pending_dts_.push_back(packet.dts);
  in_decoder_[packet.pts] = packet.dts;
  if (packet.keyframe) {
    keyframe_dts_.push_back(packet.dts);
    if (keyframe_dts_.size() > kMaxKeyframesPending) keyframe_dts_.pop_front();
  }
  const int rc = av::send_packet(decoder_.get(), packet_.get(), packet);
  // A damaged picture is skipped; the decoder conceals what follows it.
  if (rc < 0 && rc != AVERROR_INVALIDDATA) return av::av_error("decode", rc);
  return encode_decoded(out);
}

core::Status Transcoder::flush(std::vector<core::MediaPacket>& out) {
  if (!started_) return core::Ok{};
  avcodec_send_packet(decoder_.get(), nullptr);
  return encode_decoded(out);
}

std::optional<core::TrackInfo> Transcoder::drop_largest() {
  if (rungs_.empty()) return std::nullopt;
  // Rungs are planned largest first.
  core::TrackInfo dropped = tracks_.front();
  sws_freeContext(rungs_.front().scaler);
  av_frame_free(&rungs_.front().picture);
  rungs_.erase(rungs_.begin());
  tracks_.erase(tracks_.begin());
  return dropped;
}

void Transcoder::resync() {
  avcodec_flush_buffers(decoder_.get());
  pending_dts_.clear();
  in_decoder_.clear();
  keyframe_dts_.clear();
  started_ = false;
}

// Every picture the decoder has ready, through every rung.
core::Status Transcoder::encode_decoded(std::vector<core::MediaPacket>& out) {
  int rc = 0;
  while ((rc = avcodec_receive_frame(decoder_.get(), decoded_)) >= 0) {
    int64_t pts = decoded_->best_effort_timestamp;
    if (pts == AV_NOPTS_VALUE) pts = decoded_->pts;
    // Pictures come out in presentation order: those shown earlier that
    // never came (damaged) will not.
    std::optional<int64_t> own_dts;
    for (auto it = in_decoder_.begin(); it != in_decoder_.end() && it->first <= pts;) {
      if (it->first == pts) own_dts = it->second;
      it = in_decoder_.erase(it);
    }
    std::optional<int64_t> key_dts;
    while (own_dts && !keyframe_dts_.empty() && keyframe_dts_.front() <= *own_dts) {
      key_dts = keyframe_dts_.front();
      keyframe_dts_.pop_front();
    }
    const bool keyframe = key_dts.has_value();
    int64_t dts = pts;
    if (key_dts) {
      // What a damaged picture left behind goes with the rest before the cut.
      while (!pending_dts_.empty() && pending_dts_.front() <= *key_dts) pending_dts_.pop_front();
      dts = std::min(*key_dts, pts);
    } else if (!pending_dts_.empty()) {
      dts = std::min(pending_dts_.front(), pts);
      pending_dts_.pop_front();
    }
    core::Status status = core::Ok{};
    for (size_t i = 0; i < rungs_.size() && status; ++i)
      status = encode(rungs_[i], i, keyframe, pts, dts, out);
    av_frame_unref(decoded_);
    if (!status) return status;
  }
  if (rc != AVERROR(EAGAIN) && rc != AVERROR_EOF) return av::av_error("decode", rc);
  return core::Ok{};
}

core::Status Transcoder::encode(Rung& rung, size_t index, bool keyframe, int64_t pts, int64_t dts,
                                std::vector<core::MediaPacket>& out) {
  rung.scaler = sws_getCachedContext(rung.scaler, decoded_->width, decoded_->height,
                                     static_cast<AVPixelFormat>(decoded_->format), rung.plan.width,
                                     rung.plan.height, AV_PIX_FMT_YUV420P, SWS_BICUBIC, nullptr,
                                     nullptr, nullptr);
  if (rung.scaler == nullptr) return core::Error{"no scaler for the source's pictures"};
  // The encoder may still hold the last picture's buffer.
  if (int rc = av_frame_make_writable(rung.picture); rc < 0)
    return av::av_error("picture buffer", rc);
  sws_scale(rung.scaler, decoded_->data, decoded_->linesize, 0, decoded_->height,
            rung.picture->data, rung.picture->linesize);
  rung.picture->pts = pts;
  rung.picture->pict_type = keyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
  rung.decode_times.push_back(dts);
  int rc = avcodec_send_frame(rung.encoder.get(), rung.picture);
  if (rc < 0) return av::av_error("encode", rc);
  AVPacket* packet = packet_.get();
  while ((rc = avcodec_receive_packet(rung.encoder.get(), packet)) >= 0) {
    core::MediaPacket encoded;
    encoded.track = tracks_[index].id;
    encoded.pts = packet->pts;
    encoded.dts = packet->pts;
    if (!rung.decode_times.empty()) {
      encoded.dts = std::min(rung.decode_times.front(), packet->pts);
      rung.decode_times.pop_front();
    }
    encoded.keyframe = (packet->flags & AV_PKT_FLAG_KEY) != 0;
    encoded.payload =
        media::length_prefixed_access_unit({packet->data, static_cast<size_t>(packet->size)});
    av_packet_unref(packet);
    out.push_back(std::move(encoded));
  }
  if (rc != AVERROR(EAGAIN)) return av::av_error("encode", rc);
  return core::Ok{};
}

}  // namespace looplive::transcode
