#include "stream_packager.hpp"

#include <algorithm>
#include <chrono>

#include "looplive/core/log.hpp"

namespace looplive::packager {
namespace {

bool same_configuration(const core::TrackInfo& a, const core::TrackInfo& b) {
  return a.codec == b.codec && a.codec_config == b.codec_config && a.width == b.width &&
         a.height == b.height && a.sample_rate == b.sample_rate && a.channels == b.channels;
}

PackagerOptions with_clock(PackagerOptions options) {
  if (!options.clock) {
    options.clock = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  return options;
}

PublisherSettings publisher_settings(const core::PackagerConfig& config,
                                     const PackagerOptions& options,
                                     const core::PublishGrant& grant) {
  PublisherSettings settings;
  settings.media_root = config.media_root;
  settings.stream_id = grant.stream_id;
  settings.record = grant.record;
  settings.write_to_disk = config.write_live_to_disk || grant.record;
  settings.live_window = std::max<uint32_t>(1, config.live_window);
  settings.segment_ms = config.segment_duration.count();
  settings.utc_timing_url = options.utc_timing_url;
  settings.clock = options.clock;
  return settings;
}

core::MediaKind kind_of(uint8_t track) {
  return track == core::kVideoTrack ? core::MediaKind::video : core::MediaKind::audio;
}

}  // namespace

StreamPackager::StreamPackager(const core::PackagerConfig& config, const PackagerOptions& options,
                               const core::PublishGrant& grant, std::shared_ptr<ViewSlot> slot)
    : config_(config),
      options_(with_clock(options)),
      grant_(grant),
      publisher_(publisher_settings(config_, options_, grant_), std::move(slot)) {}

RepairCounts StreamPackager::counts() const {
  RepairCounts counts = segmenter_ ? segmenter_->counts() : RepairCounts{};
  counts.dropped += dropped_waiting_;
  return counts;
}

void StreamPackager::on_track(const core::TrackInfo& track) {
  if (track.index > 1 || kind_of(track.index) != track.kind) return;
  if (state_ == State::waiting) {
    known_[track.index] = track;
    if (ready()) start();
  } else if (state_ == State::running) {
    if (!outputs_[track.index]) {
      core::logger("packager")
          ->warn("{}: {} track announced after packaging started; ignored", grant_.stream_id,
                 core::codec_name(track.codec));
    } else if (!same_configuration(outputs_[track.index]->track(), track)) {
      restart(track);
    }
  }
}

void StreamPackager::on_packet(const core::MediaPacket& packet) {
  if (packet.track > 1) return;
  if (!origin_set_) {
    // Wall clock of media time 0, from the first packet's arrival.
    publisher_.set_wall_origin(options_.clock() - packet.dts);
    origin_set_ = true;
  }
  if (state_ == State::waiting) {
    hold(packet);
  } else if (state_ == State::running) {
    route(packet);
  }
}

void StreamPackager::hold(const core::MediaPacket& packet) {
  const uint8_t t = packet.track;
  const bool usable = known_[t] && (first_dts_[t] || t != core::kVideoTrack || packet.keyframe);
  if (!usable) {
    ++dropped_waiting_;
    return;
  }
  if (!first_dts_[t]) first_dts_[t] = packet.dts;
  last_dts_[t] = packet.dts;
  backlog_.push_back(packet);
  if (ready()) start();
}

bool StreamPackager::ready() const {
  const bool video = known_[core::kVideoTrack].has_value();
  const bool audio = known_[core::kAudioTrack].has_value();
  if (video && audio) return true;
  const uint8_t only = video ? core::kVideoTrack : core::kAudioTrack;
  return (video || audio) && first_dts_[only] &&
         last_dts_[only] - *first_dts_[only] >= options_.track_wait.count();
}

void StreamPackager::start() {
  SegmenterConfig config;
  config.segment_ms = config_.segment_duration.count();
  config.fragment_ms = config_.fragment_duration.count();
  config.jump_ms = options_.jump_threshold.count();
  config.has_video = known_[core::kVideoTrack].has_value();
  config.has_audio = known_[core::kAudioTrack].has_value();
  segmenter_.emplace(config);
  for (uint8_t t = 0; t < 2; ++t) {
    if (!known_[t]) continue;
    outputs_[t] = std::make_unique<TrackOutput>(t == core::kVideoTrack ? "v" : "a");
    if (core::Status status = outputs_[t]->configure(*known_[t]); !status)
      return fail(status.error());
  }
  publisher_.start(outputs_[core::kVideoTrack].get(), outputs_[core::kAudioTrack].get());
  for (uint8_t t = 0; t < 2; ++t) {
    if (outputs_[t]) publisher_.add_init(kind_of(t));
  }
  state_ = State::running;
  core::logger("packager")
      ->info("{}: packaging{}{}", grant_.stream_id,
             config.has_video ? " " + known_[0]->codec_string : "",
             config.has_audio ? " " + known_[1]->codec_string : "");
  // Held packets arrive in arrival order; the segmenter wants decode order,
  // video first on ties so audio at the first keyframe's time is kept.
  std::stable_sort(backlog_.begin(), backlog_.end(), [](const auto& a, const auto& b) {
    return a.dts != b.dts ? a.dts < b.dts : a.track < b.track;
  });
  std::vector<core::MediaPacket> held = std::move(backlog_);
  backlog_.clear();
  for (const auto& packet : held) {
    if (state_ != State::running) break;
    route(packet);
  }
}

void StreamPackager::route(const core::MediaPacket& packet) {
  const Placement placement =
      segmenter_->place(packet.track, packet.dts, packet.pts, packet.keyframe);
  if (placement.drop) return;
  core::MediaPacket repaired = packet;
  repaired.dts = placement.dts;
  repaired.pts = placement.pts;
  std::vector<FinishedSegment> done;
  if (core::Status status = outputs_[packet.track]->push(repaired, placement, done); !status) {
    return fail(status.error());
  }
  publish(kind_of(packet.track), done);
}

void StreamPackager::restart(const core::TrackInfo& track) {
  TrackOutput& output = *outputs_[track.index];
  std::vector<FinishedSegment> done;
  if (core::Status status = output.close(last_duration(track.index), done); !status) {
    return fail(status.error());
  }
  publish(track.kind, done);
  if (core::Status status = output.configure(track); !status) return fail(status.error());
  publisher_.add_init(track.kind);
  segmenter_->restart(track.index);
  core::logger("packager")
      ->info("{}: new {} configuration, now {}", grant_.stream_id, core::codec_name(track.codec),
             output.init_uri());
}

void StreamPackager::publish(core::MediaKind kind, std::vector<FinishedSegment>& done) {
  for (auto& segment : done) {
    publisher_.add_segment(kind, std::move(segment));
    ++segments_;
  }
}

int64_t StreamPackager::last_duration(uint8_t track) const {
  if (const int64_t step = segmenter_->last_step(track); step > 0) return step;
  const core::TrackInfo& info = outputs_[track]->track();
  if (info.kind == core::MediaKind::video) {
    return info.frame_rate > 0 ? static_cast<int64_t>(1000 / info.frame_rate + 0.5) : 33;
  }
  if (info.codec == core::Codec::opus) return 20;
  return info.sample_rate > 0 ? 1024 * 1000 / info.sample_rate : 21;
}

void StreamPackager::finish(core::EndReason reason) {
  if (state_ == State::waiting && !backlog_.empty()) start();
  if (state_ == State::running) {
    for (uint8_t t = 0; t < 2; ++t) {
      if (!outputs_[t]) continue;
      std::vector<FinishedSegment> done;
      if (core::Status status = outputs_[t]->close(last_duration(t), done); !status) {
        fail(status.error());
        break;
      }
      publish(kind_of(t), done);
    }
    if (state_ == State::running) publisher_.finish();
  }
  const RepairCounts c = counts();
  core::logger("packager")
      ->info(
          "{}: ended ({}): {} segments, {} DTS bumped, {} jumps, {} PTS raised, {} dropped, "
          "{} write errors",
          grant_.stream_id, core::end_reason_name(reason), segments_, c.non_monotonic, c.jumps,
          c.negative_composition, c.dropped, publisher_.write_errors());
  if (state_ != State::failed) state_ = State::ended;
}

void StreamPackager::fail(const core::Error& error) {
  core::logger("packager")->error("{}: packaging stopped: {}", grant_.stream_id, error.message);
  state_ = State::failed;
}

}  // namespace looplive::packager
