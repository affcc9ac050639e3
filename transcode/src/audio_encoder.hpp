#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "looplive/av/decoder.hpp"
#include "looplive/av/ffmpeg_ptr.hpp"
#include "looplive/core/media_types.hpp"
#include "looplive/core/result.hpp"

struct AVAudioFifo;
struct AVCodecParameters;
struct AVFrame;
struct SwrContext;

namespace looplive::transcode {

// Re-encodes a file's decoded audio to AAC-LC (libavcodec's "aac"): mono
// stays mono, anything else becomes stereo; the source's sample rate is kept
// when AAC has it, else 48 kHz. Packets are timed in samples (timescale =
// sample rate) from the first frame's time on.
class AudioEncoder {
 public:
  static core::Result<std::unique_ptr<AudioEncoder>> open(const AVCodecParameters& source,
                                                          uint64_t bitrate, uint8_t track_id);
  AudioEncoder(const AudioEncoder&) = delete;
  AudioEncoder& operator=(const AudioEncoder&) = delete;
  ~AudioEncoder();

  const core::TrackInfo& track() const { return track_; }

  // One decoded frame; `seconds` its time from the file's start (only the
  // first frame's counts: after it, samples are counted, so gaps close up).
  core::Status encode(const AVFrame& frame, double seconds, std::vector<core::MediaPacket>& out);
  // The end: what the resampler and the encoder still hold.
  core::Status flush(std::vector<core::MediaPacket>& out);
  // Seconds of audio encoded so far, from the file's start.
  double end_seconds() const;

 private:
  AudioEncoder() = default;
  core::Status resample(const uint8_t* const* samples, int count);
  // Encodes whole encoder frames from the FIFO; with `all`, the last short one too.
  core::Status encode_fifo(bool all, std::vector<core::MediaPacket>& out);
  core::Status receive(std::vector<core::MediaPacket>& out);

  core::TrackInfo track_;
  av::CodecContextPtr encoder_;
  av::AvPacketPtr packet_;
  SwrContext* resampler_ = nullptr;
  AVAudioFifo* fifo_ = nullptr;
  AVFrame* converted_ = nullptr;  // resampler output, grown as needed
  int64_t next_pts_ = 0;          // samples
  bool started_ = false;
};

}  // namespace looplive::transcode
