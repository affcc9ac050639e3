#include "cmaf_muxer.hpp"

#include "ffmpeg_codec.hpp"

#include <cstring>
#include <utility>

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/mathematics.h>
}

namespace looplive::packager {
namespace {

constexpr int kIoBufferSize = 64 * 1024;
constexpr AVRational kMilliseconds{1, 1000};

// empty_moov gives an init segment that holds no samples; frag_custom leaves
// every cut to us; default_base_moof makes each fragment self-contained as
// CMAF requires; frag_discont makes the first tfdt the first sample's DTS
// instead of zero. The cmaf flag is left out on purpose: it turns on
// negative_cts_offsets, which shifts decode times by the first composition
// offset (measured with ffprobe), while we need the input timeline unchanged.
constexpr const char* kMovFlags = "+frag_custom+empty_moov+default_base_moof+frag_discont";

void release_payload(void* opaque, uint8_t*) {
  delete static_cast<core::SharedBytes*>(opaque);
}

core::Status describe(AVStream* stream, const core::TrackInfo& track) {
  AVCodecParameters* par = stream->codecpar;
  par->codec_id = ffmpeg_codec_id(track.codec);
  if (!track.codec_config.empty()) {
    const size_t size = track.codec_config.size();
    par->extradata = static_cast<uint8_t*>(av_mallocz(size + AV_INPUT_BUFFER_PADDING_SIZE));
    if (par->extradata == nullptr) return core::Error{"out of memory"};
    std::memcpy(par->extradata, track.codec_config.data(), size);
    par->extradata_size = static_cast<int>(size);
  }
  if (track.kind == core::MediaKind::video) {
    par->codec_type = AVMEDIA_TYPE_VIDEO;
    par->width = track.width;
    par->height = track.height;
    // Apple players only accept HEVC in fMP4 with parameter sets out of band.
    if (track.codec == core::Codec::hevc) par->codec_tag = MKTAG('h', 'v', 'c', '1');
    if (track.frame_rate > 0) stream->avg_frame_rate = av_d2q(track.frame_rate, 1'000'000);
  } else {
    par->codec_type = AVMEDIA_TYPE_AUDIO;
    par->sample_rate = static_cast<int>(track.sample_rate);
    av_channel_layout_default(&par->ch_layout, track.channels > 0 ? track.channels : 2);
    if (track.codec == core::Codec::aac) par->frame_size = 1024;
  }
  stream->time_base = kMilliseconds;
  return core::Ok{};
}

}  // namespace

CmafTrackMuxer::~CmafTrackMuxer() = default;

core::Result<std::unique_ptr<CmafTrackMuxer>> CmafTrackMuxer::open(const core::TrackInfo& track) {
  std::unique_ptr<CmafTrackMuxer> muxer(new CmafTrackMuxer());
  if (core::Status status = muxer->start(track); !status) {
    return status.error().wrap(std::string(core::codec_name(track.codec)));
  }
  return muxer;
}

core::Status CmafTrackMuxer::start(const core::TrackInfo& track) {
  audio_ = track.kind == core::MediaKind::audio;
  AVFormatContext* raw = nullptr;
  if (int rc = avformat_alloc_output_context2(&raw, nullptr, "mp4", nullptr); rc < 0) {
    return av_error("mp4 muxer", rc);
  }
  context_.reset(raw);
  auto* buffer = static_cast<uint8_t*>(av_malloc(kIoBufferSize));
  if (buffer == nullptr) return core::Error{"out of memory"};
  io_.reset(avio_alloc_context(buffer, kIoBufferSize, 1, this, nullptr, &on_write, nullptr));
  if (!io_) {
    av_free(buffer);
    return core::Error{"out of memory"};
  }
  context_->pb = io_.get();
  context_->flags |= AVFMT_FLAG_CUSTOM_IO;
  AVStream* stream = avformat_new_stream(context_.get(), nullptr);
  if (stream == nullptr) return core::Error{"out of memory"};
  if (core::Status status = describe(stream, track); !status) return status;

  AVDictionary* options = nullptr;
  av_dict_set(&options, "movflags", kMovFlags, 0);
  // No edit list: the empty moov is written before the first sample is known.
  // The muxer would then shift each track to start at zero on its own, and
  // separate audio and video files would drift apart, so keep timestamps as given.
  av_dict_set(&options, "use_editlist", "0", 0);
  av_dict_set(&options, "avoid_negative_ts", "make_non_negative", 0);
  output_ = &header_;
  const int rc = avformat_write_header(context_.get(), &options);
  av_dict_free(&options);
  if (rc < 0) return av_error("write header", rc);
  avio_flush(io_.get());
  // The muxer replaces the millisecond time base with the track's timescale.
  time_base_ = stream->time_base;
  output_ = nullptr;
  init_ = core::SharedBytes(std::exchange(header_, {}));
  packet_.reset(av_packet_alloc());
  if (!packet_) return core::Error{"out of memory"};
  return core::Ok{};
}

core::Status CmafTrackMuxer::write(const core::MediaPacket& packet, int64_t duration_ms) {
  if (packet.payload.empty()) return core::Ok{};
  AVPacket* pkt = packet_.get();
  // FFmpeg reads the payload in place; the holder keeps it alive until FFmpeg lets go.
  auto* holder = new core::SharedBytes(packet.payload);
  pkt->buf = av_buffer_create(const_cast<uint8_t*>(holder->data()), holder->size(),
                              &release_payload, holder, AV_BUFFER_FLAG_READONLY);
  if (pkt->buf == nullptr) {
    delete holder;
    return core::Error{"out of memory"};
  }
  pkt->data = pkt->buf->data;
  pkt->size = static_cast<int>(holder->size());
  pkt->stream_index = 0;
  pkt->dts = av_rescale_q(packet.dts, kMilliseconds, time_base_);
  pkt->pts = av_rescale_q(packet.pts, kMilliseconds, time_base_);
  // From rescaled end points, so consecutive samples neither overlap nor leave holes.
  pkt->duration = av_rescale_q(packet.dts + duration_ms, kMilliseconds, time_base_) - pkt->dts;
  pkt->flags = packet.keyframe || audio_ ? AV_PKT_FLAG_KEY : 0;
  const int rc = av_write_frame(context_.get(), pkt);
  av_packet_unref(pkt);
  if (rc < 0) return av_error("write packet", rc);
  pending_ = true;
  return core::Ok{};
}

core::Status CmafTrackMuxer::flush_fragment(std::vector<uint8_t>& out) {
  if (!pending_) return core::Ok{};
  output_ = &out;
  int rc = av_write_frame(context_.get(), nullptr);
  avio_flush(io_.get());
  output_ = nullptr;
  if (rc < 0) return av_error("flush fragment", rc);
  pending_ = false;
  return core::Ok{};
}

int CmafTrackMuxer::on_write(void* opaque, uint8_t* data, int size) {
  auto* self = static_cast<CmafTrackMuxer*>(opaque);
  // Only flushes write; anything else would be a muxer surprise worth failing on.
  if (self->output_ == nullptr) return AVERROR(EINVAL);
  self->output_->insert(self->output_->end(), data, data + size);
  return size;
}

}  // namespace looplive::packager
