#include "audio_encoder.hpp"

#include <algorithm>
#include <array>
#include <cmath>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/frame.h>
#include <libswresample/swresample.h>
}

namespace looplive::transcode {
namespace {

// The sampling frequencies an AudioSpecificConfig can name by index.
constexpr std::array<int, 13> kAacRates{96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                        22050, 16000, 12000, 11025, 8000,  7350};

int aac_rate(int source) {
  return std::find(kAacRates.begin(), kAacRates.end(), source) != kAacRates.end() ? source : 48000;
}

}  // namespace

AudioEncoder::~AudioEncoder() {
  swr_free(&resampler_);
  if (fifo_ != nullptr) av_audio_fifo_free(fifo_);
  av_frame_free(&converted_);
}

core::Result<std::unique_ptr<AudioEncoder>> AudioEncoder::open(const AVCodecParameters& source,
                                                               uint64_t bitrate, uint8_t track_id) {
  const AVCodec* codec = avcodec_find_encoder_by_name("aac");
  if (codec == nullptr) return core::Error{"no encoder named aac"};
  std::unique_ptr<AudioEncoder> out(new AudioEncoder());
  out->encoder_.reset(avcodec_alloc_context3(codec));
  out->packet_.reset(av_packet_alloc());
  out->converted_ = av_frame_alloc();
  if (!out->encoder_ || !out->packet_ || out->converted_ == nullptr)
    return core::Error{"out of memory"};
  AVCodecContext* encoder = out->encoder_.get();
  const int channels = source.ch_layout.nb_channels == 1 ? 1 : 2;
  const int rate = aac_rate(source.sample_rate);
  encoder->sample_fmt = AV_SAMPLE_FMT_FLTP;
  encoder->sample_rate = rate;
  av_channel_layout_default(&encoder->ch_layout, channels);
  encoder->bit_rate = static_cast<int64_t>(bitrate);
  encoder->time_base = AVRational{1, rate};
  encoder->profile = FF_PROFILE_AAC_LOW;
  // The AudioSpecificConfig goes to extradata, not in front of each frame.
  encoder->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  if (int rc = avcodec_open2(encoder, codec, nullptr); rc < 0)
    return av::av_error("open aac encoder", rc);
  out->fifo_ = av_audio_fifo_alloc(AV_SAMPLE_FMT_FLTP, channels, encoder->frame_size);
  if (out->fifo_ == nullptr) return core::Error{"out of memory"};

  core::TrackInfo& track = out->track_;
  track.id = track_id;
  track.kind = core::MediaKind::audio;
  track.rendition = 0;
  track.codec = core::Codec::aac;
  // Packets are timed in milliseconds, as RTMP's are: the packager takes no other unit.
  track.timescale = 1000;
  track.codec_config = core::SharedBytes::copy_of(
      {encoder->extradata, static_cast<size_t>(std::max(0, encoder->extradata_size))});
  track.codec_string = "mp4a.40.2";
  track.sample_rate = static_cast<uint32_t>(rate);
  track.channels = static_cast<uint8_t>(channels);
  return out;
}

core::Status AudioEncoder::encode(const AVFrame& frame, double seconds,
                                  std::vector<core::MediaPacket>& out) {
  if (!started_) {
    started_ = true;
    next_pts_ = std::llround(std::max(0.0, seconds) * track_.sample_rate);
    AVChannelLayout layout{};
    if (frame.ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
      av_channel_layout_default(&layout, frame.ch_layout.nb_channels);
    else
      av_channel_layout_copy(&layout, &frame.ch_layout);
    // The source's layout, format and rate, fixed by its first frame.
    const int rc = swr_alloc_set_opts2(
        &resampler_, &encoder_->ch_layout, AV_SAMPLE_FMT_FLTP, encoder_->sample_rate, &layout,
        static_cast<AVSampleFormat>(frame.format), frame.sample_rate, 0, nullptr);
    av_channel_layout_uninit(&layout);
    if (rc < 0) return av::av_error("resampler", rc);
    if (int init = swr_init(resampler_); init < 0) return av::av_error("resampler", init);
  }
  if (core::Status status = resample(frame.extended_data, frame.nb_samples); !status) return status;
  return encode_fifo(false, out);
}

core::Status AudioEncoder::flush(std::vector<core::MediaPacket>& out) {
  if (!started_) return core::Ok{};
  if (core::Status status = resample(nullptr, 0); !status) return status;
  if (core::Status status = encode_fifo(true, out); !status) return status;
  if (int rc = avcodec_send_frame(encoder_.get(), nullptr); rc < 0 && rc != AVERROR_EOF)
    return av::av_error("encode audio", rc);
  return receive(out);
}

double AudioEncoder::end_seconds() const {
  return static_cast<double>(next_pts_) / track_.sample_rate;
}

core::Status AudioEncoder::resample(const uint8_t* const* samples, int count) {
  const int room = swr_get_out_samples(resampler_, count);
  if (room < 0) return av::av_error("resample", room);
  if (room == 0) return core::Ok{};
  if (converted_->nb_samples < room) {
    av_frame_unref(converted_);
    converted_->format = AV_SAMPLE_FMT_FLTP;
    av_channel_layout_copy(&converted_->ch_layout, &encoder_->ch_layout);
    converted_->sample_rate = encoder_->sample_rate;
    converted_->nb_samples = room;
    if (int rc = av_frame_get_buffer(converted_, 0); rc < 0)
      return av::av_error("audio buffer", rc);
  }
  const int made = swr_convert(resampler_, converted_->extended_data, room,
                               const_cast<const uint8_t**>(samples), count);
  if (made < 0) return av::av_error("resample", made);
  if (av_audio_fifo_write(fifo_, reinterpret_cast<void**>(converted_->extended_data), made) < made)
    return core::Error{"out of memory"};
  return core::Ok{};
}

core::Status AudioEncoder::encode_fifo(bool all, std::vector<core::MediaPacket>& out) {
  const int frame_size = encoder_->frame_size;
  while (av_audio_fifo_size(fifo_) >= frame_size || (all && av_audio_fifo_size(fifo_) > 0)) {
    const int count = std::min(frame_size, av_audio_fifo_size(fifo_));
    AVFrame* frame = av_frame_alloc();
    if (frame == nullptr) return core::Error{"out of memory"};
    frame->format = AV_SAMPLE_FMT_FLTP;
    av_channel_layout_copy(&frame->ch_layout, &encoder_->ch_layout);
    frame->sample_rate = encoder_->sample_rate;
    frame->nb_samples = count;
    int rc = av_frame_get_buffer(frame, 0);
    if (rc >= 0) {
      av_audio_fifo_read(fifo_, reinterpret_cast<void**>(frame->extended_data), count);
      frame->pts = next_pts_;
      next_pts_ += count;
      rc = avcodec_send_frame(encoder_.get(), frame);
    }
    av_frame_free(&frame);
    if (rc < 0) return av::av_error("encode audio", rc);
    if (core::Status status = receive(out); !status) return status;
  }
  return core::Ok{};
}

core::Status AudioEncoder::receive(std::vector<core::MediaPacket>& out) {
  AVPacket* packet = packet_.get();
  int rc = 0;
  while ((rc = avcodec_receive_packet(encoder_.get(), packet)) >= 0) {
    core::MediaPacket encoded;
    encoded.track = track_.id;
    // The encoder dates its first packet before the first sample by its
    // priming delay; players trim nothing (no edit list), so the packets
    // keep the samples' own times, as an RTMP publisher's AAC does.
    encoded.pts = av_rescale(packet->pts + encoder_->initial_padding, 1000, track_.sample_rate);
    encoded.dts = encoded.pts;
    encoded.keyframe = true;
    encoded.payload = core::SharedBytes::copy_of({packet->data, static_cast<size_t>(packet->size)});
    av_packet_unref(packet);
    out.push_back(std::move(encoded));
  }
  if (rc != AVERROR(EAGAIN) && rc != AVERROR_EOF) return av::av_error("encode audio", rc);
  return core::Ok{};
}

}  // namespace looplive::transcode
