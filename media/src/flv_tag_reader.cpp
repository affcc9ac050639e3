#include "looplive/media/flv_tag_reader.hpp"

#include <cmath>
#include <string_view>
#include <utility>

#include "flv_codes.hpp"
#include "looplive/media/codec_config.hpp"

namespace looplive::media {

namespace {

using Output = FlvTagReader::Output;

using namespace flv_codes;

core::Error malformed(std::string message) {
  return core::Error{"flv: " + std::move(message)};
}

Output ignored(std::string why) {
  Output out;
  out.ignored = std::move(why);
  return out;
}

int32_t read_si24(const uint8_t* p) {
  int32_t value = p[0] << 16 | p[1] << 8 | p[2];
  return value & 0x800000 ? value - 0x1000000 : value;
}

constexpr uint32_t fourcc(std::string_view text) {
  return uint32_t(uint8_t(text[0])) << 24 | uint32_t(uint8_t(text[1])) << 16 |
         uint32_t(uint8_t(text[2])) << 8 | uint32_t(uint8_t(text[3]));
}

std::string fourcc_text(const uint8_t* p) {
  std::string out = "'";
  for (int i = 0; i < 4; ++i) out += p[i] >= 0x20 && p[i] < 0x7F ? static_cast<char>(p[i]) : '?';
  return out + "'";
}

std::string video_codec_name(int id) {
  switch (id) {
    case 2:
      return "Sorenson H.263";
    case 3:
      return "Screen video";
    case 4:
      return "On2 VP6";
    case 5:
      return "On2 VP6 with alpha";
    case 6:
      return "Screen video v2";
    default:
      return "codec id " + std::to_string(id);
  }
}

std::string sound_format_name(int format) {
  switch (format) {
    case 0:
      return "linear PCM (platform endian)";
    case 1:
      return "ADPCM";
    case 2:
      return "MP3";
    case 3:
      return "linear PCM (little endian)";
    case 4:
      return "Nellymoser 16 kHz mono";
    case 5:
      return "Nellymoser 8 kHz mono";
    case 6:
      return "Nellymoser";
    case 7:
      return "G.711 A-law";
    case 8:
      return "G.711 mu-law";
    case 11:
      return "Speex";
    case 14:
      return "MP3 8 kHz";
    case 15:
      return "device-specific sound";
    default:
      return "sound format " + std::to_string(format);
  }
}

uint16_t metadata_dimension(double value) {
  return value >= 1 && value <= UINT16_MAX ? static_cast<uint16_t>(std::lround(value)) : 0;
}

bool same_configuration(const core::TrackInfo& a, const core::TrackInfo& b) {
  return a.codec == b.codec && a.codec_config == b.codec_config;
}

}  // namespace

core::Result<Output> FlvTagReader::video(int64_t timestamp_ms, const core::SharedBytes& payload) {
  if (payload.empty()) return ignored("empty video tag");
  if (payload[0] & 0x80) return enhanced_video(timestamp_ms, payload);
  return legacy_video(timestamp_ms, payload);
}

core::Result<Output> FlvTagReader::legacy_video(int64_t timestamp_ms,
                                                const core::SharedBytes& payload) {
  int frame_type = payload[0] >> 4;
  int codec_id = payload[0] & 0x0F;
  if (frame_type == kCommandFrame) return ignored("video info/command frame");
  if (codec_id != kCodecAvc && codec_id != kCodecHevcLegacy)
    return ignored("unsupported video codec: " + video_codec_name(codec_id));
  core::Codec codec = codec_id == kCodecAvc ? core::Codec::h264 : core::Codec::hevc;
  if (payload.size() < 5)
    return malformed("video tag too short: " + std::to_string(payload.size()) + " bytes");
  int32_t composition = read_si24(payload.data() + 2);
  auto body = payload.slice(5);
  switch (payload[1]) {
    case kSequenceStart:
      return video_sequence_start(codec, body);
    case kCodedFrames:
      return video_frame(codec, timestamp_ms, composition, frame_type == kKeyFrame, body);
    case kSequenceEnd:
      return ignored("video end of sequence");
    default:
      return malformed("unknown AVC packet type " + std::to_string(payload[1]));
  }
}

core::Result<Output> FlvTagReader::enhanced_video(int64_t timestamp_ms,
                                                  const core::SharedBytes& payload) {
  const uint8_t* bytes = payload.data();
  size_t size = payload.size();
  int frame_type = (bytes[0] >> 4) & 0x07;
  int packet_type = bytes[0] & 0x0F;
  size_t pos = 1;
  // ModEx entries (E-RTMP v2) sit between the header byte and the FourCC and
  // carry sub-millisecond timestamp offsets, below this timescale's resolution.
  while (packet_type == kModEx) {
    if (size - pos < 1) return malformed("video ModEx truncated");
    size_t data_size = bytes[pos++] + 1;
    if (data_size == 256) {
      if (size - pos < 2) return malformed("video ModEx truncated");
      data_size = (bytes[pos] << 8 | bytes[pos + 1]) + 1;
      pos += 2;
    }
    if (size - pos < data_size + 1) return malformed("video ModEx truncated");
    pos += data_size;
    packet_type = bytes[pos++] & 0x0F;
  }
  if (packet_type == kMetadata) return ignored("video metadata frame");
  if (frame_type == kCommandFrame) return ignored("video command frame");
  if (packet_type == kMultitrack) return ignored("multitrack video is not supported");
  if (size - pos < 4)
    return malformed("enhanced video tag too short: " + std::to_string(size) + " bytes");

  core::Codec codec;
  switch (fourcc({reinterpret_cast<const char*>(bytes + pos), 4})) {
    case fourcc("avc1"):
      codec = core::Codec::h264;
      break;
    case fourcc("hvc1"):
      codec = core::Codec::hevc;
      break;
    case fourcc("av01"):
      codec = core::Codec::av1;
      break;
    default:
      return ignored("unsupported video codec: " + fourcc_text(bytes + pos));
  }
  pos += 4;
  bool keyframe = frame_type == kKeyFrame;
  switch (packet_type) {
    case kSequenceStart:
      return video_sequence_start(codec, payload.slice(pos));
    case kCodedFrames: {
      // E-RTMP gives AV1 frames no composition offset: temporal units arrive in display order.
      if (codec == core::Codec::av1)
        return video_frame(codec, timestamp_ms, 0, keyframe, payload.slice(pos));
      if (size - pos < 3)
        return malformed("enhanced video tag too short: " + std::to_string(size) + " bytes");
      int32_t composition = read_si24(bytes + pos);
      return video_frame(codec, timestamp_ms, composition, keyframe, payload.slice(pos + 3));
    }
    case kCodedFramesX:
      return video_frame(codec, timestamp_ms, 0, keyframe, payload.slice(pos));
    case kSequenceEnd:
      return ignored("video end of sequence");
    case kMpeg2TsSequenceStart:
      return ignored("MPEG-2 TS video sequence start is not supported");
    // Reserved values are left for future extensions, not a broken stream.
    default:
      return ignored("unknown video packet type " + std::to_string(packet_type));
  }
}

core::Result<Output> FlvTagReader::video_sequence_start(core::Codec codec,
                                                        const core::SharedBytes& record) {
  if (record.empty())
    return malformed("empty " + std::string(core::codec_name(codec)) + " sequence header");
  core::TrackInfo track;
  track.id = kVideoTrack;
  track.kind = core::MediaKind::video;
  track.codec = codec;
  track.timescale = 1000;
  track.codec_config = record;
  uint8_t nal_length_size = 0;
  // Every parsed configuration carries the same picture fields.
  auto fill = [&](const auto& config) {
    track.codec_string = config->codec_string;
    track.width = config->width;
    track.height = config->height;
    track.frame_rate = config->frame_rate;
  };
  switch (codec) {
    case core::Codec::h264: {
      auto config = parse_avcc(record.span());
      if (!config) return config.error().wrap("flv");
      fill(config);
      nal_length_size = config->nal_length_size;
      break;
    }
    case core::Codec::hevc: {
      auto config = parse_hvcc(record.span());
      if (!config) return config.error().wrap("flv");
      fill(config);
      nal_length_size = config->nal_length_size;
      break;
    }
    case core::Codec::av1: {
      auto config = parse_av1c(record.span());
      if (!config) return config.error().wrap("flv");
      fill(config);
      break;
    }
    default:
      return malformed("not a video codec");
  }
  if (track.width == 0 || track.height == 0) {
    track.width = metadata_dimension(hints_.width);
    track.height = metadata_dimension(hints_.height);
  }
  if (track.frame_rate <= 0) track.frame_rate = hints_.frame_rate;

  if (video_track_ && same_configuration(*video_track_, track))
    return ignored("unchanged video sequence header");
  video_track_ = track;
  nal_length_size_ = nal_length_size;
  Output out;
  out.track = std::move(track);
  return out;
}

core::Result<Output> FlvTagReader::video_frame(core::Codec codec, int64_t timestamp_ms,
                                               int32_t composition_ms, bool keyframe,
                                               const core::SharedBytes& data) {
  if (!video_track_) return ignored("video frame before any sequence header");
  if (video_track_->codec != codec)
    return ignored(std::string(core::codec_name(codec)) + " frame on a " +
                   std::string(core::codec_name(video_track_->codec)) + " track");
  if (data.empty()) return ignored("empty video frame");
  // Some encoders flag IDR frames as inter frames; an IDR is always a safe
  // place to start, so promote it. Never demote: open-GOP I frames are fine.
  if (!keyframe && codec == core::Codec::h264)
    keyframe = h264_has_idr(data.span(), nal_length_size_);
  if (!keyframe && codec == core::Codec::hevc)
    keyframe = hevc_has_irap(data.span(), nal_length_size_);
  Output out;
  out.packet =
      core::MediaPacket{kVideoTrack, timestamp_ms, timestamp_ms + composition_ms, keyframe, data};
  return out;
}

core::Result<Output> FlvTagReader::audio(int64_t timestamp_ms, const core::SharedBytes& payload) {
  if (payload.empty()) return ignored("empty audio tag");
  int format = payload[0] >> 4;
  if (format == kSoundExHeader) {
    if (payload.size() < 5)
      return malformed("enhanced audio tag too short: " + std::to_string(payload.size()) +
                       " bytes");
    return ignored("unsupported enhanced audio codec: " + fourcc_text(payload.data() + 1));
  }
  if (format != kSoundAac) return ignored("unsupported audio format: " + sound_format_name(format));
  if (payload.size() < 2) return malformed("AAC audio tag too short");

  switch (payload[1]) {
    case 0: {
      auto config = parse_audio_specific_config(payload.span().subspan(2));
      if (!config) return config.error().wrap("flv");
      core::TrackInfo track;
      track.id = kAudioTrack;
      track.kind = core::MediaKind::audio;
      track.codec = core::Codec::aac;
      track.timescale = 1000;
      track.codec_config = payload.slice(2);
      track.codec_string = config->codec_string;
      track.sample_rate = config->sample_rate;
      track.channels = config->channels;
      if (audio_track_ && same_configuration(*audio_track_, track))
        return ignored("unchanged AudioSpecificConfig");
      audio_track_ = track;
      Output out;
      out.track = std::move(track);
      return out;
    }
    case 1: {
      if (!audio_track_) return ignored("AAC frame before any AudioSpecificConfig");
      auto data = payload.slice(2);
      if (data.empty()) return ignored("empty AAC frame");
      Output out;
      out.packet = core::MediaPacket{kAudioTrack, timestamp_ms, timestamp_ms, true, data};
      return out;
    }
    default:
      return malformed("unknown AAC packet type " + std::to_string(payload[1]));
  }
}

}  // namespace looplive::media
