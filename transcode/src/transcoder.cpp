#include "transcoder.hpp"

#include <algorithm>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
}

namespace looplive::transcode {
namespace {

// Source keyframes remembered while their pictures are in the decoder.
constexpr size_t kMaxKeyframesPending = 64;

}  // namespace

Transcoder::~Transcoder() {
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
  EncoderSettings settings;
  settings.encoder = config.encoder;
  settings.preset = config.preset;
  settings.threads = config.threads;
  settings.low_latency = true;
  auto rung = RungEncoder::open(plan, settings, source.timescale, source.frame_rate, track_id);
  if (!rung) return rung.error();
  tracks_.push_back(rung.value()->track());
  rungs_.push_back(std::move(rung.value()));
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
      status = rungs_[i]->encode(*decoded_, keyframe, pts, dts, out);
    av_frame_unref(decoded_);
    if (!status) return status;
  }
  if (rc != AVERROR(EAGAIN) && rc != AVERROR_EOF) return av::av_error("decode", rc);
  return core::Ok{};
}

}  // namespace looplive::transcode
