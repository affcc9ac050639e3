#include "stream_packager.hpp"

#include <algorithm>
#include <chrono>

#include "hls_playlist.hpp"
#include "looplive/core/log.hpp"
#include "looplive/media/stream_files.hpp"

namespace looplive::packager {
namespace {

bool same_configuration(const core::TrackInfo& a, const core::TrackInfo& b) {
  return a.codec == b.codec && a.codec_config == b.codec_config && a.width == b.width &&
         a.height == b.height && a.sample_rate == b.sample_rate && a.channels == b.channels;
}

core::MediaKind kind_of(uint8_t track) {
  return track == core::kVideoTrack ? core::MediaKind::video : core::MediaKind::audio;
}

}  // namespace

StreamPackager::StreamPackager(const packager::PackagerConfig& config,
                               const PackagerOptions& options, const core::PublishGrant& grant,
                               std::shared_ptr<StreamState> stream)
    : config_(config), options_(options), grant_(grant), stream_(std::move(stream)) {
  std::lock_guard lock(stream_->mutex);
  if (stream_->publishing) {
    core::logger("packager")
        ->error("{}: a new publish while the previous one is still open", grant_.stream_id);
  }
  stream_->publishing = true;
  bool made = false;
  uint64_t periods = 0;
  for (auto& output : stream_->outputs) {
    if (!output) continue;
    resumed_ = true;
    output->discard();  // left open by a publish that never finished
    made = made || output->made_segments();
    periods = std::max(periods, output->discontinuities());
  }
  if (!made) return;
  next_period_ = periods + 1;
  // Continue after the last segment, or later if the publisher was away
  // longer than the stream had run ahead of the wall clock.
  const LiveWindow& window = stream_->window;
  int64_t start = window.timeline_end();
  if (window.wall_origin()) start = std::max(start, options_.clock() - *window.wall_origin());
  start_at_ms_ = start;
}

StreamPackager::~StreamPackager() {
  if (finished_) return;
  // Gone without finish(): what it held is lost, but the stream stays usable.
  std::lock_guard lock(stream_->mutex);
  stream_->publishing = false;
}

RepairCounts StreamPackager::counts() const {
  RepairCounts counts = segmenter_ ? segmenter_->counts() : RepairCounts{};
  counts.dropped += dropped_waiting_;
  return counts;
}

void StreamPackager::on_track(const core::TrackInfo& track) {
  if (track.index > 1 || kind_of(track.index) != track.kind) return;
  if (state_ == State::waiting) {
    if (!wanted(track.index)) {
      core::logger("packager")
          ->warn("{}: {} track is new to the stream after a reconnect; ignored", grant_.stream_id,
                 core::codec_name(track.codec));
      return;
    }
    known_[track.index] = track;
    if (ready()) start();
  } else if (state_ == State::running) {
    TrackOutput* out = output(track.index);
    if (out == nullptr) {
      core::logger("packager")
          ->warn("{}: {} track announced after packaging started; ignored", grant_.stream_id,
                 core::codec_name(track.codec));
    } else if (!same_configuration(out->track(), track)) {
      restart(track);
    }
  }
}

void StreamPackager::on_packet(const core::MediaPacket& packet) {
  if (packet.track > 1) return;
  if (!origin_set_) {
    // Wall clock of media time 0, from the first packet's arrival of the stream's first publish.
    if (!stream_->window.wall_origin()) {
      stream_->window.set_wall_origin(options_.clock() - packet.dts);
    }
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

bool StreamPackager::wanted(uint8_t track) const {
  return !resumed_ || stream_->outputs[track] != nullptr;
}

bool StreamPackager::ready() const {
  const bool video = known_[core::kVideoTrack].has_value();
  const bool audio = known_[core::kAudioTrack].has_value();
  if (!video && !audio) return false;
  if ((video || !wanted(core::kVideoTrack)) && (audio || !wanted(core::kAudioTrack))) return true;
  const uint8_t only = video ? core::kVideoTrack : core::kAudioTrack;
  return first_dts_[only] && last_dts_[only] - *first_dts_[only] >= options_.track_wait.count();
}

void StreamPackager::start() {
  SegmenterConfig config;
  config.segment_ms = config_.segment_duration.count();
  config.max_segment_ms = max_segment_ms(config.segment_ms);
  config.part_ms = config_.part_duration.count();
  config.jump_ms = options_.jump_threshold.count();
  config.has_video = known_[core::kVideoTrack].has_value();
  config.has_audio = known_[core::kAudioTrack].has_value();
  config.start_at_ms = start_at_ms_;
  segmenter_.emplace(config);
  for (uint8_t t = 0; t < 2; ++t) {
    if (!known_[t]) continue;
    auto& out = stream_->outputs[t];
    if (!out)
      out = std::make_unique<TrackOutput>(media::files::track_prefix(known_[t]->kind),
                                          stream_->window.epoch());
    if (core::Status status = out->configure(*known_[t]); !status) return fail(status.error());
    if (next_period_) out->start_period(*next_period_);
    active_[t] = true;
    stream_->window.add_init(out->track(), out->init_uri(), out->init());
  }
  if (known_[core::kVideoTrack]) open_thumbnailer(*known_[core::kVideoTrack]);
  state_ = State::running;
  core::logger("packager")
      ->info("{}: packaging{}{}{}", grant_.stream_id,
             config.has_video ? " " + known_[0]->codec_string : "",
             config.has_audio ? " " + known_[1]->codec_string : "",
             start_at_ms_ ? " (reconnected)" : "");
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
  TrackOutputs done;
  if (core::Status status = output(packet.track)->push(repaired, placement, done); !status) {
    return fail(status.error());
  }
  publish(kind_of(packet.track), done);
  if (placement.new_segment && placement.independent && packet.track == core::kVideoTrack) {
    thumbnail(repaired);
  }
}

void StreamPackager::open_thumbnailer(const core::TrackInfo& track) {
  thumbnailer_.reset();
  if (!options_.thumbnails) return;
  auto opened = Thumbnailer::open(track, options_.thumbnail_width);
  if (!opened) {
    core::logger("packager")
        ->warn("{}: no thumbnails: {}", grant_.stream_id, opened.error().message);
    return;
  }
  thumbnailer_ = std::move(opened.value());
}

void StreamPackager::thumbnail(const core::MediaPacket& keyframe) {
  if (!thumbnailer_) return;
  auto jpeg = thumbnailer_->encode(keyframe);
  if (!jpeg) {
    // One bad picture should not flood the log every segment.
    core::logger("packager")
        ->warn("{}: thumbnails stopped: {}", grant_.stream_id, jpeg.error().message);
    thumbnailer_.reset();
    return;
  }
  stream_->window.set_thumbnail(std::move(jpeg.value()));
}

void StreamPackager::restart(const core::TrackInfo& track) {
  TrackOutput& out = *output(track.index);
  TrackOutputs done;
  // The next segment starts a new period: nothing is announced before it exists.
  stream_->window.pause(track.kind);
  if (core::Status status = out.close(last_duration(track.index), done); !status) {
    return fail(status.error());
  }
  publish(track.kind, done);
  if (core::Status status = out.configure(track); !status) return fail(status.error());
  stream_->window.add_init(out.track(), out.init_uri(), out.init());
  if (track.kind == core::MediaKind::video) open_thumbnailer(track);
  segmenter_->restart(track.index);
  core::logger("packager")
      ->info("{}: new {} configuration, now {}", grant_.stream_id, core::codec_name(track.codec),
             out.init_uri());
}

void StreamPackager::publish(core::MediaKind kind, TrackOutputs& done) {
  if (done.empty()) return;
  for (auto& part : done.parts) stream_->window.add_part(kind, std::move(part));
  for (auto& segment : done.segments) {
    stream_->window.add_segment(kind, std::move(segment));
    ++segments_;
  }
  stream_->window.refresh(!done.segments.empty());
}

int64_t StreamPackager::last_duration(uint8_t track) const {
  if (const int64_t step = segmenter_->last_step(track); step > 0) return step;
  const core::TrackInfo& info = stream_->outputs[track]->track();
  if (info.kind == core::MediaKind::video) {
    return info.frame_rate > 0 ? static_cast<int64_t>(1000 / info.frame_rate + 0.5) : 33;
  }
  if (info.codec == core::Codec::opus) return 20;
  return info.sample_rate > 0 ? 1024 * 1000 / info.sample_rate : 21;
}

void StreamPackager::finish(core::EndReason reason) {
  if (finished_) return;
  finished_ = true;
  std::lock_guard lock(stream_->mutex);
  if (state_ == State::waiting && !backlog_.empty()) start();
  // Nothing follows the last segments until the publisher is back.
  for (uint8_t t = 0; t < 2; ++t) stream_->window.pause(kind_of(t));
  for (uint8_t t = 0; t < 2; ++t) {
    TrackOutput* out = output(t);
    if (out == nullptr) continue;
    TrackOutputs done;
    core::Status status =
        state_ == State::running ? out->close(last_duration(t), done) : core::Status(core::Ok{});
    if (!status) fail(status.error());
    if (state_ == State::running) {
      publish(kind_of(t), done);
    } else {
      out->discard();
    }
  }
  const RepairCounts c = counts();
  core::logger("packager")
      ->info(
          "{}: publish ended ({}): {} segments, {} DTS bumped, {} jumps, {} PTS raised, "
          "{} dropped, {} write errors",
          grant_.stream_id, core::end_reason_name(reason), segments_, c.non_monotonic, c.jumps,
          c.negative_composition, c.dropped, stream_->window.write_errors());
  stream_->publishing = false;
  if (state_ != State::failed) state_ = State::ended;
}

void StreamPackager::fail(const core::Error& error) {
  core::logger("packager")->error("{}: packaging stopped: {}", grant_.stream_id, error.message);
  state_ = State::failed;
}

}  // namespace looplive::packager
