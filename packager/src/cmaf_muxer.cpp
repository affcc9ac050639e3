#include "cmaf_muxer.hpp"

#include "box_writer.hpp"
#include "looplive/av/codec_id.hpp"
#include "looplive/media/av1_obus.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/mathematics.h>
}

namespace looplive::packager {
namespace {

using namespace boxes;

constexpr int kIoBufferSize = 4 * 1024;
constexpr AVRational kMilliseconds{1, 1000};

// empty_moov gives an init segment that holds no samples, with the mvex a
// fragmented file needs; default_base_moof adds the iso5 brand that our
// fragments' tfhd (default-base-is-moof) calls for. The cmaf flag is left
// out on purpose: it turns on negative_cts_offsets, which shifts decode
// times by the first composition offset, while we need the input timeline
// unchanged.
constexpr const char* kMovFlags = "+frag_custom+empty_moov+default_base_moof";

// ISO 14496-12 sample_flags: a sync sample depends on no other; any other
// depends on others and is not a sync sample.
constexpr uint32_t kSyncSample = 0x02000000;
constexpr uint32_t kDependentSample = 0x01010000;
// libavformat numbers the tracks of its moov from 1; ours has one track.
constexpr uint32_t kTrackId = 1;

core::Status describe(AVStream* stream, const core::TrackInfo& track) {
  AVCodecParameters* par = stream->codecpar;
  par->codec_id = av::ffmpeg_codec_id(track.codec);
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

// libavformat writes the init segment: ftyp and a moov with the codec's
// sample entry. Its own fragment writer copies each sample three times (into
// a growing buffer per fragment, its I/O buffer, our output) and costed a
// sixth of the CPU per stream; fragments are plain enough to write here.
core::Status CmafTrackMuxer::start(const core::TrackInfo& track) {
  audio_ = track.kind == core::MediaKind::audio;
  codec_ = track.codec;
  std::vector<uint8_t> header;  // where on_write puts the init segment
  av::AvIoPtr io;               // before the context, so that it outlives it
  AVFormatContext* raw = nullptr;
  if (int rc = avformat_alloc_output_context2(&raw, nullptr, "mp4", nullptr); rc < 0) {
    return av::av_error("mp4 muxer", rc);
  }
  av::AvOutputPtr context(raw);
  auto* buffer = static_cast<uint8_t*>(av_malloc(kIoBufferSize));
  if (buffer == nullptr) return core::Error{"out of memory"};
  io.reset(avio_alloc_context(buffer, kIoBufferSize, 1, &header, nullptr, &on_write, nullptr));
  if (!io) {
    av_free(buffer);
    return core::Error{"out of memory"};
  }
  context->pb = io.get();
  context->flags |= AVFMT_FLAG_CUSTOM_IO;
  AVStream* stream = avformat_new_stream(context.get(), nullptr);
  if (stream == nullptr) return core::Error{"out of memory"};
  if (core::Status status = describe(stream, track); !status) return status;

  AVDictionary* options = nullptr;
  av_dict_set(&options, "movflags", kMovFlags, 0);
  // No edit list: the empty moov is written before the first sample is known.
  av_dict_set(&options, "use_editlist", "0", 0);
  const int rc = avformat_write_header(context.get(), &options);
  av_dict_free(&options);
  if (rc < 0) return av::av_error("write header", rc);
  avio_flush(io.get());
  // The muxer replaces the millisecond time base with the track's timescale.
  time_base_ = stream->time_base;
  init_ = core::SharedBytes(std::move(header));
  return core::Ok{};
}

core::Status CmafTrackMuxer::write(const core::MediaPacket& packet, int64_t duration_ms) {
  if (packet.payload.empty()) return core::Ok{};
  // The checks libavformat made when it wrote fragments: a track's run of
  // samples cannot go back in decode time or show a sample before decoding it.
  if (packet.pts < packet.dts) return core::Error{"write packet: PTS before DTS"};
  const int64_t dts = av_rescale_q(packet.dts, kMilliseconds, time_base_);
  if (dts < 0) return core::Error{"write packet: negative DTS"};
  if (last_dts_ && dts <= *last_dts_) return core::Error{"write packet: DTS not increasing"};
  // From rescaled end points, so consecutive samples neither overlap nor leave holes.
  const int64_t end =
      av_rescale_q(packet.dts + std::max<int64_t>(1, duration_ms), kMilliseconds, time_base_);
  const int64_t offset = av_rescale_q(packet.pts, kMilliseconds, time_base_) - dts;
  if (end - dts > UINT32_MAX || offset > INT32_MAX) {
    return core::Error{"write packet: sample longer than a fragment can say"};
  }
  core::SharedBytes payload =
      codec_ == core::Codec::av1 ? media::without_dropped_av1_obus(packet.payload) : packet.payload;
  if (samples_.empty()) fragment_dts_ = dts;
  last_dts_ = dts;
  samples_.push_back({static_cast<uint32_t>(end - dts), static_cast<uint32_t>(payload.size()),
                      packet.keyframe || audio_ ? kSyncSample : kDependentSample,
                      static_cast<int32_t>(offset)});
  payloads_.push_back(std::move(payload));
  return core::Ok{};
}

// moof (mfhd, traf with tfhd, tfdt and trun) then mdat, as CMAF (ISO 23000-19)
// lays out a fragment: base offsets from the moof, the decode time of the
// first sample, every sample's duration, size, flags and composition offset.
core::Status CmafTrackMuxer::flush_fragment(core::MemoryFileBuilder& segment) {
  if (samples_.empty()) return core::Ok{};
  std::vector<uint8_t>& out = header_;
  out.clear();
  const bool offsets = !audio_;
  size_t media_bytes = 0;
  for (const Sample& s : samples_) media_bytes += s.size;
  if (media_bytes + 8 > UINT32_MAX) return core::Error{"flush fragment: mdat over 4 GiB"};

  const size_t moof = open_box(out, "moof");
  const size_t mfhd = open_box(out, "mfhd");
  put_u32(out, 0);  // version, flags
  put_u32(out, ++sequence_);
  close_box(out, mfhd);
  const size_t traf = open_box(out, "traf");
  const size_t tfhd = open_box(out, "tfhd");
  put_u32(out, 0x020000);  // default-base-is-moof
  put_u32(out, kTrackId);
  close_box(out, tfhd);
  const size_t tfdt = open_box(out, "tfdt");
  put_u32(out, 0x01000000);  // version 1: a 64-bit decode time
  put_u64(out, static_cast<uint64_t>(fragment_dts_));
  close_box(out, tfdt);
  const size_t trun = open_box(out, "trun");
  // data offset, then per sample: duration, size, flags (and composition offset)
  put_u32(out, 0x000001 | 0x000100 | 0x000200 | 0x000400 | (offsets ? 0x000800 : 0));
  put_u32(out, static_cast<uint32_t>(samples_.size()));
  const size_t data_offset = out.size();
  put_u32(out, 0);
  for (const Sample& s : samples_) {
    put_u32(out, s.duration);
    put_u32(out, s.size);
    put_u32(out, s.flags);
    if (offsets) put_u32(out, static_cast<uint32_t>(s.composition_offset));
  }
  close_box(out, trun);
  close_box(out, traf);
  close_box(out, moof);
  // The first sample's byte, counted from the moof, past the mdat header.
  set_u32(out, data_offset, static_cast<uint32_t>(out.size() - moof + 8));

  put_u32(out, static_cast<uint32_t>(media_bytes + 8));
  out.insert(out.end(), {'m', 'd', 'a', 't'});
  // The boxes, then every sample where it lies, in one gathered write.
  pieces_.clear();
  pieces_.emplace_back(out);
  for (const core::SharedBytes& payload : payloads_) pieces_.push_back(payload.span());
  segment.append(pieces_);
  samples_.clear();
  payloads_.clear();
  return core::Ok{};
}

int CmafTrackMuxer::on_write(void* opaque, uint8_t* data, int size) {
  auto* header = static_cast<std::vector<uint8_t>*>(opaque);
  header->insert(header->end(), data, data + size);
  return size;
}

}  // namespace looplive::packager
