#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "looplive/core/config.hpp"
#include "looplive/core/packet_sink.hpp"
#include "looplive/packager/packager.hpp"
#include "segmenter.hpp"
#include "stream_publisher.hpp"
#include "track_output.hpp"
#include "view_slot.hpp"

namespace looplive::packager {

// Packages one publish. Calls arrive one at a time, in order (the caller
// serializes them); nothing here is thread-safe except the view slot.
//
// Muxing starts once the tracks are known: both announced, or video alone
// with `track_wait` of video since its first keyframe and no audio, or audio
// alone after `track_wait` of audio and no video. Packets before that are
// held; a track announced after the start is ignored. Video before its first
// keyframe is dropped. A new codec configuration closes the track's segment,
// starts a new muxer and init segment (init_v_1.mp4, ...) and flags a
// discontinuity.
class StreamPackager : public core::PacketSink {
 public:
  StreamPackager(const core::PackagerConfig& config, const PackagerOptions& options,
                 const core::PublishGrant& grant, std::shared_ptr<ViewSlot> slot);

  void on_track(const core::TrackInfo& track) override;
  void on_packet(const core::MediaPacket& packet) override;
  void finish(core::EndReason reason) override;

  // What the timestamp repair changed and what was dropped, including before muxing started.
  RepairCounts counts() const;
  bool failed() const { return state_ == State::failed; }

 private:
  enum class State { waiting, running, ended, failed };

  bool ready() const;
  void hold(const core::MediaPacket& packet);
  void start();
  void route(const core::MediaPacket& packet);
  void restart(const core::TrackInfo& track);
  void publish(core::MediaKind kind, std::vector<FinishedSegment>& done);
  int64_t last_duration(uint8_t track) const;
  void fail(const core::Error& error);

  core::PackagerConfig config_;
  PackagerOptions options_;
  core::PublishGrant grant_;
  State state_ = State::waiting;
  std::optional<core::TrackInfo> known_[2];
  std::vector<core::MediaPacket> backlog_;
  std::optional<int64_t> first_dts_[2];  // held packets' span per track, for the wait
  int64_t last_dts_[2] = {0, 0};
  bool origin_set_ = false;
  uint64_t dropped_waiting_ = 0;
  std::optional<Segmenter> segmenter_;
  std::unique_ptr<TrackOutput> outputs_[2];
  StreamPublisher publisher_;
  uint64_t segments_ = 0;
};

}  // namespace looplive::packager
