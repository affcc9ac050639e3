// enhanced_flv: rewrites a video file as the FLV an Enhanced RTMP encoder
// sends (OBS 29.1+, FFmpeg 6.1+), for rtmp_publish to send it.
//
// Usage:
//   enhanced_flv INPUT OUTPUT.flv
//
//   INPUT   any file libavformat reads (MP4, Matroska) with HEVC, AV1 or H.264
//           video and optionally AAC audio
//
// HEVC and AV1 become Enhanced RTMP video tags ('hvc1', 'av01': a sequence
// start with the file's hvcC or av1C, then coded frames, HEVC's with their
// composition offsets), H.264 the classic AVC tags, AAC the classic AAC tags,
// after an onMetaData with the picture size and frame rate.
// Debian 12's FFmpeg (5.1) and GStreamer (1.22) write neither form of HEVC or
// AV1 in FLV, so this is how tests publish those codecs with a real encoder's
// bitstream. Tags are written in decode-time order, the first at 0 ms.
//
// Exit status: 0 written, 1 usage error, 2 the input cannot be read or has
// no video this writes, 3 the output cannot be written.

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "looplive/media/flv_file.hpp"

namespace {

using looplive::media::FlvTag;

constexpr int kExitOk = 0;
constexpr int kExitUsage = 1;
constexpr int kExitInput = 2;
constexpr int kExitOutput = 3;

// Enhanced RTMP video (E-RTMP v1): IsExHeader, frame type, packet type.
constexpr uint8_t kExHeader = 0x80;
constexpr uint8_t kSequenceStart = 0;
constexpr uint8_t kCodedFrames = 1;
constexpr uint8_t kCodedFramesX = 3;  // composition offset 0, left out
constexpr uint8_t kKeyFrame = 1;
constexpr uint8_t kInterFrame = 2;
constexpr uint8_t kAvc = 7;
constexpr uint8_t kAacSoundFlags = 0xAF;  // AAC, 44 kHz, 16 bit, stereo (fixed for AAC)

struct Tagged {
  int64_t dts_ms = 0;
  int order = 0;  // ties keep the file's order
  FlvTag tag;
};

// The low `bytes` bytes of `value`, big-endian (a negative SI24 as two's complement).
void put_be(std::vector<uint8_t>& out, uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

void append(std::vector<uint8_t>& out, const uint8_t* data, size_t size) {
  out.insert(out.end(), data, data + size);
}

const char* fourcc_of(AVCodecID codec) {
  switch (codec) {
    case AV_CODEC_ID_HEVC:
      return "hvc1";
    case AV_CODEC_ID_AV1:
      return "av01";
    default:
      return nullptr;
  }
}

void put_amf_key(std::vector<uint8_t>& out, std::string_view key) {
  put_be(out, key.size(), 2);
  append(out, reinterpret_cast<const uint8_t*>(key.data()), key.size());
}

// onMetaData as encoders send it before any frame (AMF0: the name, then an
// ECMA array of numbers). E-RTMP gives the video codec as its FourCC.
FlvTag metadata(const AVStream& video, const AVStream* audio) {
  FlvTag tag{looplive::media::kFlvTagScript, 0, {0x02}};
  put_amf_key(tag.body, "onMetaData");
  std::vector<std::pair<std::string_view, double>> fields{
      {"width", video.codecpar->width},
      {"height", video.codecpar->height},
      {"framerate", video.avg_frame_rate.den > 0 ? av_q2d(video.avg_frame_rate) : 0.0}};
  if (const char* fourcc = fourcc_of(video.codecpar->codec_id))
    fields.emplace_back("videocodecid",
                        double(uint32_t(fourcc[0]) << 24 | uint32_t(fourcc[1]) << 16 |
                               uint32_t(fourcc[2]) << 8 | uint32_t(fourcc[3])));
  else
    fields.emplace_back("videocodecid", kAvc);
  if (audio != nullptr) fields.emplace_back("audiocodecid", 10);
  tag.body.push_back(0x08);
  put_be(tag.body, fields.size(), 4);
  for (const auto& [key, value] : fields) {
    put_amf_key(tag.body, key);
    tag.body.push_back(0x00);
    put_be(tag.body, std::bit_cast<uint64_t>(value), 8);
  }
  tag.body.insert(tag.body.end(), {0x00, 0x00, 0x09});
  return tag;
}

// The video sequence header: the decoder configuration record as the file has it.
FlvTag video_header(const AVCodecParameters& video) {
  FlvTag tag{looplive::media::kFlvTagVideo, 0, {}};
  if (const char* fourcc = fourcc_of(video.codec_id)) {
    tag.body.push_back(kExHeader | kKeyFrame << 4 | kSequenceStart);
    append(tag.body, reinterpret_cast<const uint8_t*>(fourcc), 4);
  } else {
    tag.body = {kKeyFrame << 4 | kAvc, 0, 0, 0, 0};
  }
  append(tag.body, video.extradata, static_cast<size_t>(video.extradata_size));
  return tag;
}

FlvTag video_frame(const AVCodecParameters& video, const AVPacket& packet, int32_t cts_ms) {
  FlvTag tag{looplive::media::kFlvTagVideo, 0, {}};
  const uint8_t frame = (packet.flags & AV_PKT_FLAG_KEY) != 0 ? kKeyFrame : kInterFrame;
  if (const char* fourcc = fourcc_of(video.codec_id)) {
    // AV1 frames carry no composition offset: they arrive in display order.
    const bool with_cts = video.codec_id == AV_CODEC_ID_HEVC && cts_ms != 0;
    tag.body.push_back(kExHeader | frame << 4 | (with_cts ? kCodedFrames : kCodedFramesX));
    append(tag.body, reinterpret_cast<const uint8_t*>(fourcc), 4);
    if (with_cts) put_be(tag.body, static_cast<uint32_t>(cts_ms), 3);
  } else {
    tag.body = {static_cast<uint8_t>(frame << 4 | kAvc), 1};
    put_be(tag.body, static_cast<uint32_t>(cts_ms), 3);
  }
  append(tag.body, packet.data, static_cast<size_t>(packet.size));
  return tag;
}

FlvTag audio_tag(uint8_t packet_type, const uint8_t* data, size_t size) {
  FlvTag tag{looplive::media::kFlvTagAudio, 0, {kAacSoundFlags, packet_type}};
  append(tag.body, data, size);
  return tag;
}

int convert(const std::string& input, const std::string& output) {
  AVFormatContext* format = nullptr;
  if (avformat_open_input(&format, input.c_str(), nullptr, nullptr) < 0) {
    std::fprintf(stderr, "error: cannot open %s\n", input.c_str());
    return kExitInput;
  }
  struct Closer {
    AVFormatContext** format;
    ~Closer() { avformat_close_input(format); }
  } closer{&format};
  if (avformat_find_stream_info(format, nullptr) < 0) {
    std::fprintf(stderr, "error: cannot read the streams of %s\n", input.c_str());
    return kExitInput;
  }
  const int video_index = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  const int audio_index = av_find_best_stream(format, AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  if (video_index < 0) {
    std::fprintf(stderr, "error: %s has no video\n", input.c_str());
    return kExitInput;
  }
  const AVStream& video = *format->streams[video_index];
  const AVCodecID codec = video.codecpar->codec_id;
  if (codec != AV_CODEC_ID_HEVC && codec != AV_CODEC_ID_AV1 && codec != AV_CODEC_ID_H264) {
    std::fprintf(stderr, "error: the video is %s; this writes HEVC, AV1 and H.264\n",
                 avcodec_get_name(codec));
    return kExitInput;
  }
  if (video.codecpar->extradata_size <= 0) {
    std::fprintf(stderr, "error: the video has no decoder configuration record (an MP4 has one)\n");
    return kExitInput;
  }
  const AVStream* audio = nullptr;
  if (audio_index >= 0 && format->streams[audio_index]->codecpar->codec_id == AV_CODEC_ID_AAC &&
      format->streams[audio_index]->codecpar->extradata_size > 0)
    audio = format->streams[audio_index];

  std::vector<Tagged> tagged;
  AVPacket* packet = av_packet_alloc();
  int order = 0;
  const AVRational ms{1, 1000};
  while (av_read_frame(format, packet) >= 0) {
    const AVStream& stream = *format->streams[packet->stream_index];
    const int64_t dts = packet->dts != AV_NOPTS_VALUE ? packet->dts : packet->pts;
    const int64_t dts_ms = av_rescale_q(dts, stream.time_base, ms);
    if (packet->stream_index == video_index) {
      const int64_t pts = packet->pts != AV_NOPTS_VALUE ? packet->pts : dts;
      const auto cts_ms = static_cast<int32_t>(av_rescale_q(pts, stream.time_base, ms) - dts_ms);
      tagged.push_back({dts_ms, order++, video_frame(*video.codecpar, *packet, cts_ms)});
    } else if (audio != nullptr && packet->stream_index == audio->index) {
      tagged.push_back({dts_ms, order++, audio_tag(1, packet->data, size_t(packet->size))});
    }
    av_packet_unref(packet);
  }
  av_packet_free(&packet);
  if (tagged.empty()) {
    std::fprintf(stderr, "error: %s has no frames\n", input.c_str());
    return kExitInput;
  }
  std::stable_sort(tagged.begin(), tagged.end(),
                   [](const Tagged& a, const Tagged& b) { return a.dts_ms < b.dts_ms; });
  // B-frames give an MP4's first decode times below zero; FLV's start at 0.
  const int64_t first_ms = tagged.front().dts_ms;

  std::vector<char> out = {
      'F', 'L', 'V', 1, static_cast<char>(audio != nullptr ? 0x05 : 0x01), 0, 0, 0, 9, 0, 0, 0, 0};
  std::vector<char> encoded;
  const auto write = [&](const FlvTag& tag, int64_t timestamp_ms) {
    looplive::media::encode_flv_tag(tag, static_cast<uint32_t>(timestamp_ms), encoded);
    out.insert(out.end(), encoded.begin(), encoded.end());
  };
  write(metadata(video, audio), 0);
  write(video_header(*video.codecpar), 0);
  if (audio != nullptr)
    write(audio_tag(0, audio->codecpar->extradata, size_t(audio->codecpar->extradata_size)), 0);
  for (const Tagged& t : tagged) write(t.tag, t.dts_ms - first_ms);

  std::ofstream file(output, std::ios::binary | std::ios::trunc);
  file.write(out.data(), static_cast<std::streamsize>(out.size()));
  file.close();
  if (!file) {
    std::fprintf(stderr, "error: cannot write %s\n", output.c_str());
    return kExitOutput;
  }
  std::printf("wrote %zu tags, %s video%s\n", tagged.size() + (audio != nullptr ? 3 : 2),
              avcodec_get_name(codec), audio != nullptr ? " and AAC audio" : "");
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || std::string(argv[1]).starts_with("-")) {
    std::fprintf(stderr, "usage: enhanced_flv INPUT OUTPUT.flv\n");
    return kExitUsage;
  }
  av_log_set_level(AV_LOG_ERROR);
  return convert(argv[1], argv[2]);
}
