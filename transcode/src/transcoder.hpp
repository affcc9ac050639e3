#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "looplive/av/decoder.hpp"
#include "looplive/av/ffmpeg_ptr.hpp"
#include "looplive/core/media_types.hpp"
#include "looplive/core/result.hpp"
#include "looplive/transcode/config.hpp"
#include "looplive/transcode/ladder_plan.hpp"
#include "rung_encoder.hpp"

struct AVFrame;

namespace looplive::transcode {

// Decodes a source video track once and encodes every rung of its ladder
// from each picture, with libswscale and an H.264 encoder. A rung's
// keyframes fall on the source's, and its decode times are the source's, so
// the packager cuts every rung on the same frames.
class Transcoder {
 public:
  // Rung tracks are numbered from `first_track_id`. The encoders open here,
  // so the rungs' configuration records are known before any packet.
  static core::Result<std::unique_ptr<Transcoder>> open(const core::TrackInfo& source,
                                                        std::span<const RungPlan> plan,
                                                        const LadderConfig& config,
                                                        uint8_t first_track_id);
  Transcoder(const Transcoder&) = delete;
  Transcoder& operator=(const Transcoder&) = delete;
  ~Transcoder();

  const std::vector<core::TrackInfo>& rung_tracks() const { return tracks_; }

  // Decodes one source packet and appends the rung packets it completes.
  core::Status push(const core::MediaPacket& packet, std::vector<core::MediaPacket>& out);
  // The end of the source: the pictures the decoder still holds, encoded.
  core::Status flush(std::vector<core::MediaPacket>& out);
  // Stops encoding the largest rung, the costliest; its track. None left: nothing.
  std::optional<core::TrackInfo> drop_largest();
  size_t rungs() const { return rungs_.size(); }
  // Source packets were skipped: forget what the decoder holds and start
  // again at the next keyframe.
  void resync();

 private:
  Transcoder() = default;
  core::Status open_rung(const core::TrackInfo& source, const RungPlan& plan,
                         const LadderConfig& config, uint8_t track_id);
  core::Status encode_decoded(std::vector<core::MediaPacket>& out);

  core::TrackInfo source_;
  av::CodecContextPtr decoder_;
  AVFrame* decoded_ = nullptr;
  av::AvPacketPtr packet_;
  std::vector<std::unique_ptr<RungEncoder>> rungs_;
  std::vector<core::TrackInfo> tracks_;
  bool started_ = false;  // a keyframe was sent to the decoder
  // Rung decode times: source decode times not yet given to a picture; a
  // picture, in presentation order, takes the earliest.
  std::deque<int64_t> pending_dts_;
  // Each source packet in the decoder: its presentation time -> decode time.
  std::map<int64_t, int64_t> in_decoder_;
  // Decode times of the source keyframes whose segment has not started on
  // the rungs. A segment starts, on the rungs, with the first picture shown
  // that was decoded from its keyframe on: the keyframe itself in a closed
  // GOP, a leading picture in an open one (HEVC CRA). That picture becomes
  // the rungs' keyframe, with the keyframe's decode time, where the
  // packager cuts the source.
  std::deque<int64_t> keyframe_dts_;
};

}  // namespace looplive::transcode
