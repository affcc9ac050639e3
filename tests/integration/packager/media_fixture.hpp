#pragma once

// Real media for the packager tests: clips made with the ffmpeg CLI, demuxed
// with libavformat into the core types the RTMP ingest produces, and a way to
// run ffprobe/ffmpeg on the output.

#include <sys/wait.h>
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

extern "C" {
#include <libavformat/avformat.h>
}

#include "looplive/core/media_types.hpp"
#include "process.hpp"

namespace looplive::packager::testing {

namespace fs = std::filesystem;

struct CommandResult {
  int status = -1;
  std::string output;  // stdout and stderr together
};

// Runs a command (no shell) to completion and keeps what it printed.
inline CommandResult run(const std::vector<std::string>& argv) {
  CommandResult result;
  result.status = test::run_command(argv, &result.output);
  return result;
}

struct Demuxed {
  std::vector<core::TrackInfo> tracks;
  std::vector<core::MediaPacket> packets;  // in file order
  int64_t duration_ms = 0;
};

inline std::string avc_codec_string(const std::vector<uint8_t>& avcc) {
  char text[16] = "avc1";
  if (avcc.size() >= 4)
    std::snprintf(text, sizeof text, "avc1.%02x%02x%02x", avcc[1], avcc[2], avcc[3]);
  return text;
}

inline std::string aac_codec_string(const std::vector<uint8_t>& asc) {
  const int object_type = asc.empty() ? 2 : asc[0] >> 3;
  return "mp4a.40." + std::to_string(object_type);
}

// The track ids demux_flv gives, as the RTMP ingest does.
inline constexpr uint8_t kVideoTrack = 0;
inline constexpr uint8_t kAudioTrack = 1;

// FLV as the RTMP ingest sees it: AVCC H.264 with an avcC, raw AAC with an
// AudioSpecificConfig, millisecond timestamps; video is track 0, audio track 1.
inline Demuxed demux_flv(const fs::path& path) {
  Demuxed out;
  AVFormatContext* context = nullptr;
  if (avformat_open_input(&context, path.c_str(), nullptr, nullptr) < 0) {
    throw std::runtime_error("cannot open " + path.string());
  }
  if (avformat_find_stream_info(context, nullptr) < 0) {
    avformat_close_input(&context);
    throw std::runtime_error("no stream info in " + path.string());
  }
  std::map<int, uint8_t> track_of;
  for (unsigned i = 0; i < context->nb_streams; ++i) {
    const AVStream* stream = context->streams[i];
    const AVCodecParameters* par = stream->codecpar;
    std::vector<uint8_t> config(par->extradata, par->extradata + par->extradata_size);
    core::TrackInfo track;
    if (par->codec_id == AV_CODEC_ID_H264) {
      track.id = kVideoTrack;
      track.kind = core::MediaKind::video;
      track.codec = core::Codec::h264;
      track.codec_string = avc_codec_string(config);
      track.width = static_cast<uint16_t>(par->width);
      track.height = static_cast<uint16_t>(par->height);
      track.frame_rate = av_q2d(stream->avg_frame_rate);
    } else if (par->codec_id == AV_CODEC_ID_AAC) {
      track.id = kAudioTrack;
      track.kind = core::MediaKind::audio;
      track.codec = core::Codec::aac;
      track.codec_string = aac_codec_string(config);
      track.sample_rate = static_cast<uint32_t>(par->sample_rate);
      track.channels = static_cast<uint8_t>(par->ch_layout.nb_channels);
    } else {
      continue;
    }
    track.codec_config = core::SharedBytes(std::move(config));
    track_of[static_cast<int>(i)] = track.id;
    out.tracks.push_back(track);
  }
  AVPacket* packet = av_packet_alloc();
  while (av_read_frame(context, packet) >= 0) {
    const auto found = track_of.find(packet->stream_index);
    if (found != track_of.end()) {
      const AVRational base = context->streams[packet->stream_index]->time_base;
      core::MediaPacket media;
      media.track = found->second;
      media.dts = av_rescale_q(packet->dts, base, AVRational{1, 1000});
      media.pts = av_rescale_q(packet->pts, base, AVRational{1, 1000});
      media.keyframe = (packet->flags & AV_PKT_FLAG_KEY) != 0;
      media.payload = core::SharedBytes::copy_of({packet->data, static_cast<size_t>(packet->size)});
      out.packets.push_back(std::move(media));
    }
    av_packet_unref(packet);
  }
  av_packet_free(&packet);
  out.duration_ms = context->duration > 0 ? context->duration / 1000 : 0;
  avformat_close_input(&context);
  return out;
}

// `source` with the video of `rung` added as another rendition of it, under
// track id `id`: a ladder as a transcoder would feed it (the "av" and
// "small" fixtures share their frame times and keyframes).
inline Demuxed with_rendition(Demuxed source, const Demuxed& rung, uint8_t id, uint8_t rendition) {
  for (const auto& track : rung.tracks) {
    if (track.kind != core::MediaKind::video) continue;
    core::TrackInfo added = track;
    added.id = id;
    added.rendition = rendition;
    source.tracks.push_back(added);
    for (const auto& packet : rung.packets) {
      if (packet.track != track.id) continue;
      core::MediaPacket copy = packet;
      copy.track = id;
      source.packets.push_back(copy);
    }
  }
  std::stable_sort(source.packets.begin(), source.packets.end(),
                   [](const auto& a, const auto& b) { return a.dts < b.dts; });
  return source;
}

// Makes an FLV clip once per process: "av", "video" or "audio", 6 seconds,
// 30 fps H.264 High with B-frames and 2 s GOPs, 48 kHz stereo AAC; "small" is
// "av" at 320x180, for a change of codec configuration.
inline const fs::path& fixture(const std::string& kind) {
  static test::ScratchDir dir("packager-fixtures");
  static std::map<std::string, fs::path> made;
  const auto found = made.find(kind);
  if (found != made.end()) return found->second;
  const fs::path path = dir.path() / (kind + ".flv");
  const bool video = kind != "audio";
  const bool audio = kind != "video";
  const std::string size = kind == "small" ? "320x180" : "640x360";
  std::vector<std::string> command{"ffmpeg", "-nostdin", "-v", "error", "-y"};
  const auto add = [&command](std::initializer_list<std::string> args) {
    command.insert(command.end(), args);
  };
  if (video) add({"-f", "lavfi", "-i", "testsrc2=size=" + size + ":rate=30"});
  if (audio) add({"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"});
  add({"-t", "6"});
  if (video) {
    add({"-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-bf", "2", "-g", "60",
         "-sc_threshold", "0", "-pix_fmt", "yuv420p"});
  }
  if (audio) add({"-c:a", "aac", "-ac", "2"});
  add({"-f", "flv", path.string()});
  const CommandResult result = run(command);
  if (result.status != 0) throw std::runtime_error("ffmpeg failed: " + result.output);
  return made[kind] = path;
}

}  // namespace looplive::packager::testing
