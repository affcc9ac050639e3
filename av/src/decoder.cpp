#include "looplive/av/decoder.hpp"

#include <algorithm>
#include <cstring>

extern "C" {
#include <libavcodec/avcodec.h>
}

#include "looplive/av/codec_id.hpp"
#include "looplive/av/ffmpeg_ptr.hpp"

namespace looplive::av {

void CodecContextDeleter::operator()(AVCodecContext* context) const {
  avcodec_free_context(&context);
}

core::Result<CodecContextPtr> open_decoder(const core::TrackInfo& track, int threads) {
  const AVCodec* codec = avcodec_find_decoder(ffmpeg_codec_id(track.codec));
  if (codec == nullptr)
    return core::Error{"no decoder for " + std::string(core::codec_name(track.codec))};
  CodecContextPtr decoder(avcodec_alloc_context3(codec));
  if (!decoder) return core::Error{"out of memory"};
  if (!track.codec_config.empty()) {
    const size_t size = track.codec_config.size();
    decoder->extradata = static_cast<uint8_t*>(av_mallocz(size + AV_INPUT_BUFFER_PADDING_SIZE));
    if (decoder->extradata == nullptr) return core::Error{"out of memory"};
    std::memcpy(decoder->extradata, track.codec_config.data(), size);
    decoder->extradata_size = static_cast<int>(size);
  }
  decoder->pkt_timebase = AVRational{1, static_cast<int>(track.timescale)};
  decoder->thread_count = std::max(1, threads);
  decoder->thread_type = FF_THREAD_SLICE;
  if (int rc = avcodec_open2(decoder.get(), codec, nullptr); rc < 0)
    return av_error("open decoder", rc);
  return decoder;
}

int send_packet(AVCodecContext* decoder, AVPacket* scratch, const core::MediaPacket& packet) {
  if (int rc = av_new_packet(scratch, static_cast<int>(packet.payload.size())); rc < 0) return rc;
  std::memcpy(scratch->data, packet.payload.data(), packet.payload.size());
  scratch->pts = packet.pts;
  scratch->dts = packet.dts;
  if (packet.keyframe) scratch->flags |= AV_PKT_FLAG_KEY;
  const int rc = avcodec_send_packet(decoder, scratch);
  av_packet_unref(scratch);
  return rc;
}

}  // namespace looplive::av
