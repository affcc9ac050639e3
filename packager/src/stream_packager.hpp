#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "looplive/core/log.hpp"
#include "looplive/core/packet_sink.hpp"
#include "looplive/packager/config.hpp"
#include "looplive/packager/packager.hpp"
#include "segmenter.hpp"
#include "stream_state.hpp"
#include "thumbnailer.hpp"

namespace looplive::packager {

// Packages one publish into its stream's state. Calls arrive one at a time,
// in order (the caller serializes them); the stream state is borrowed from
// construction to finish() and touched by no one else meanwhile.
//
// Tracks are told apart by their id in this publish and are the stream's by
// key (kind and rendition), so a reconnect continues each where it was.
// Muxing starts at the first packet once the tracks are known: every track
// the stream expects (a video and an audio track for a new stream, the ones it
// already has for a reconnect), or the tracks known so far after `track_wait`
// of one since its first usable packet. Packets before that are held; a
// track announced after the start, or one a reconnecting stream never had,
// is ignored. Video before its first keyframe
// is dropped. A new codec configuration closes the track's segment, starts a
// new muxer and init segment (init_v_1.mp4, ...) and flags a discontinuity.
// A reconnect continues the stream's numbering after a discontinuity, with
// timestamps moved past the end of the stream so far (and past the wall-clock
// time it was away, so the live edge of a dynamic MPD stays true).
class StreamPackager : public core::PacketSink {
 public:
  StreamPackager(const packager::PackagerConfig& config, const PackagerOptions& options,
                 const core::PublishGrant& grant, std::shared_ptr<StreamState> stream);
  ~StreamPackager() override;
  StreamPackager(const StreamPackager&) = delete;
  StreamPackager& operator=(const StreamPackager&) = delete;

  void on_track(const core::TrackInfo& track) override;
  void on_packet(const core::MediaPacket& packet) override;
  // Closes the track's segment and takes it out of the playlists and the MPD
  // (its playlist answers 404), until a later publish brings it back.
  void end_track(uint8_t track_id) override;
  // Lists the partial segments in the live window and gives the stream state back, ready
  // for the next publish or for end_stream(); ENDLIST waits for the latter.
  void finish(core::EndReason reason) override;

  // What the timestamp repair changed and what was dropped, including before muxing started.
  RepairCounts counts() const;
  bool failed() const { return state_ == State::failed; }

 private:
  enum class State { waiting, running, ended, failed };

  // A track announced in this publish, by its id.
  struct Track {
    core::TrackInfo info;
    TrackOutput* output = nullptr;     // once muxing: the stream's output for its key
    std::optional<int64_t> first_dts;  // held packets' span, for the wait
    int64_t last_dts = 0;
  };

  TrackOutput* output(uint8_t track_id);
  bool wanted(core::TrackKey key) const;
  bool ready() const;
  std::vector<Track*> by_key();  // video first, then by rendition
  void hold(const core::MediaPacket& packet);
  void start();
  void route(const core::MediaPacket& packet);
  void restart(const core::TrackInfo& track);
  void open_thumbnailer(const core::TrackInfo& track);
  void thumbnail(const core::MediaPacket& keyframe);
  void add_to_window(core::TrackKey key, TrackOutputs& done);
  int64_t last_duration(const Track& track) const;
  void fail(const core::Error& error);
  std::string context() const { return core::log_context(grant_.stream_id, grant_.connection_id); }

  packager::PackagerConfig config_;
  PackagerOptions options_;
  core::PublishGrant grant_;
  std::shared_ptr<StreamState> stream_;
  State state_ = State::waiting;
  bool resumed_ = false;                 // an earlier publish fixed the stream's tracks
  std::optional<int64_t> start_at_ms_;   // where this publish continues the timeline
  std::optional<uint64_t> next_period_;  // the discontinuity index this publish opens
  std::map<uint8_t, Track> tracks_;
  std::optional<uint8_t> thumbnail_track_;  // the first video track's id, once muxing
  std::optional<uint8_t> events_track_;     // the id of the track that carries tags
  std::vector<core::MediaPacket> backlog_;
  bool origin_set_ = false;
  bool finished_ = false;
  uint64_t dropped_waiting_ = 0;
  std::optional<Segmenter> segmenter_;
  std::unique_ptr<Thumbnailer> thumbnailer_;
  uint64_t segments_ = 0;
};

}  // namespace looplive::packager
