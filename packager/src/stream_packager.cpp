#include "stream_packager.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "hls_playlist.hpp"
#include "looplive/core/log.hpp"
#include "looplive/media/stream_files.hpp"

namespace looplive::packager {
namespace {

bool same_configuration(const core::TrackInfo& a, const core::TrackInfo& b) {
  return a.codec == b.codec && a.codec_config == b.codec_config && a.width == b.width &&
         a.height == b.height && a.sample_rate == b.sample_rate && a.channels == b.channels;
}

}  // namespace

StreamPackager::StreamPackager(const packager::PackagerConfig& config,
                               const PackagerOptions& options, const core::PublishGrant& grant,
                               std::shared_ptr<StreamState> stream)
    : config_(config), options_(options), grant_(grant), stream_(std::move(stream)) {
  std::lock_guard lock(stream_->mutex);
  if (stream_->publishing) {
    core::logger("packager")
        ->error("{} a new publish while the previous one is still open", context());
  }
  stream_->publishing = true;
  bool made = false;
  uint64_t periods = 0;
  for (auto& [key, output] : stream_->outputs) {
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
  if (state_ == State::waiting) {
    if (!wanted(track.key())) {
      core::logger("packager")
          ->warn("{} {} track is new to the stream after a reconnect; ignored", context(),
                 core::codec_name(track.codec));
      return;
    }
    tracks_[track.id].info = track;
  } else if (state_ == State::running) {
    TrackOutput* out = output(track.id);
    if (out == nullptr) {
      core::logger("packager")
          ->warn("{} {} track announced after packaging started; ignored", context(),
                 core::codec_name(track.codec));
    } else if (!same_configuration(out->track(), track)) {
      tracks_[track.id].info = track;
      restart(track);
    }
  }
}

void StreamPackager::on_packet(const core::MediaPacket& packet) {
  if (!origin_set_) {
    // Wall clock of media time 0, from the first packet's arrival of the stream's first publish.
    if (!stream_->window.wall_origin()) {
      stream_->window.set_wall_origin(options_.clock() - packet.dts);
    }
    stream_->tags->set_wall_origin(*stream_->window.wall_origin());
    origin_set_ = true;
  }
  if (state_ == State::waiting) {
    hold(packet);
  } else if (state_ == State::running) {
    route(packet);
  }
}

void StreamPackager::end_track(uint8_t track_id) {
  const auto found = tracks_.find(track_id);
  if (found == tracks_.end()) return;
  Track& track = found->second;
  const core::TrackKey key = track.info.key();
  if (state_ == State::running && track.output != nullptr) {
    TrackOutputs done;
    if (core::Status status = track.output->close(last_duration(track), done); !status)
      return fail(status.error());
    add_to_window(key, done);
  }
  // Its packets still in the backlog go with it.
  std::erase_if(backlog_, [&](const core::MediaPacket& p) { return p.track == track_id; });
  tracks_.erase(found);
  if (state_ != State::waiting) stream_->window.drop(key);
  core::logger("packager")
      ->info("{} {} track {} ends here; no longer listed", context(),
             key.kind == core::MediaKind::video ? "video" : "audio", key.rendition);
}

TrackOutput* StreamPackager::output(uint8_t track_id) {
  const auto found = tracks_.find(track_id);
  return found == tracks_.end() ? nullptr : found->second.output;
}

void StreamPackager::hold(const core::MediaPacket& packet) {
  const auto found = tracks_.find(packet.track);
  Track* t = found == tracks_.end() ? nullptr : &found->second;
  const bool usable =
      t != nullptr && (t->first_dts || t->info.kind != core::MediaKind::video || packet.keyframe);
  if (!usable) {
    ++dropped_waiting_;
    return;
  }
  if (!t->first_dts) t->first_dts = packet.dts;
  t->last_dts = packet.dts;
  backlog_.push_back(packet);
  if (ready()) start();
}

bool StreamPackager::wanted(core::TrackKey key) const {
  return !resumed_ || stream_->outputs.contains(key);
}

bool StreamPackager::ready() const {
  const auto known = [this](auto matches) {
    return std::any_of(tracks_.begin(), tracks_.end(),
                       [&](const auto& entry) { return matches(entry.second.info.key()); });
  };
  bool expected_known = !tracks_.empty();
  if (resumed_) {
    for (const auto& [key, output] : stream_->outputs)
      expected_known = expected_known && known([&](core::TrackKey k) { return k == key; });
  } else {
    for (const core::MediaKind kind : {core::MediaKind::video, core::MediaKind::audio})
      expected_known = expected_known && known([&](core::TrackKey k) { return k.kind == kind; });
  }
  if (expected_known) return true;
  return std::any_of(tracks_.begin(), tracks_.end(), [this](const auto& entry) {
    const Track& t = entry.second;
    return t.first_dts && t.last_dts - *t.first_dts >= options_.track_wait.count();
  });
}

std::vector<StreamPackager::Track*> StreamPackager::by_key() {
  std::vector<Track*> sorted;
  for (auto& [id, track] : tracks_) sorted.push_back(&track);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Track* a, const Track* b) { return a->info.key() < b->info.key(); });
  return sorted;
}

void StreamPackager::start() {
  SegmenterConfig config;
  config.segment_ms = config_.segment_duration.count();
  config.max_segment_ms = max_segment_ms(config.segment_ms);
  config.part_ms = config_.part_duration.count();
  config.jump_ms = options_.jump_threshold.count();
  config.start_at_ms = start_at_ms_;
  config.tracks.clear();
  std::string codecs;
  std::map<uint8_t, size_t> rank;  // ties in the backlog go in key order
  std::optional<core::TrackKey> previous;
  for (Track* t : by_key()) {
    const core::TrackInfo& info = t->info;
    if (std::exchange(previous, info.key()) == info.key()) {
      core::logger("packager")
          ->warn("{} two tracks of the same kind and rendition; the second is ignored", context());
      continue;
    }
    auto& out = stream_->outputs[info.key()];
    if (!out)
      out = std::make_unique<TrackOutput>(media::files::track_prefix(info.key()),
                                          stream_->window.epoch());
    if (core::Status status = out->configure(info); !status) return fail(status.error());
    if (next_period_) out->start_period(*next_period_);
    t->output = out.get();
    // The first track (video when there is one) carries the tags' event messages.
    if (!events_track_) {
      events_track_ = info.id;
      out->carry_events(stream_->tags.get());
    }
    stream_->window.add_init(out->track(), out->init_uri(), out->init());
    config.tracks.push_back({info.id, info.kind});
    rank[info.id] = rank.size();
    codecs += " " + info.codec_string;
    if (!thumbnail_track_ && info.kind == core::MediaKind::video) {
      thumbnail_track_ = info.id;
      open_thumbnailer(info);
    }
  }
  segmenter_.emplace(config);
  state_ = State::running;
  stream_->tags->set_publishing(true);
  core::logger("packager")
      ->info("{} packaging{}{}", context(), codecs, start_at_ms_ ? " (reconnected)" : "");
  // Held packets arrive in arrival order; the segmenter wants decode order,
  // video first on ties so audio at the first keyframe's time is kept.
  const auto order = [&rank](uint8_t id) {
    const auto found = rank.find(id);
    return found == rank.end() ? rank.size() : found->second;
  };
  std::stable_sort(backlog_.begin(), backlog_.end(), [&](const auto& a, const auto& b) {
    return a.dts != b.dts ? a.dts < b.dts : order(a.track) < order(b.track);
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
  TrackOutput* out = output(packet.track);
  if (out == nullptr) return;
  core::MediaPacket repaired = packet;
  repaired.dts = placement.dts;
  repaired.pts = placement.pts;
  TrackOutputs done;
  if (core::Status status = out->push(repaired, placement, done); !status) {
    return fail(status.error());
  }
  add_to_window(out->track().key(), done);
  // A tag posted now is stamped with the next frame's time.
  if (packet.track == events_track_)
    stream_->tags->note_next_frame(repaired.dts + last_duration(tracks_[packet.track]));
  if (placement.new_segment && placement.independent && packet.track == thumbnail_track_) {
    thumbnail(repaired);
  }
}

void StreamPackager::open_thumbnailer(const core::TrackInfo& track) {
  thumbnailer_.reset();
  if (!options_.thumbnails) return;
  auto opened = Thumbnailer::open(track, options_.thumbnail_width);
  if (!opened) {
    core::logger("packager")->warn("{} no thumbnails: {}", context(), opened.error().message);
    return;
  }
  thumbnailer_ = std::move(opened.value());
}

void StreamPackager::thumbnail(const core::MediaPacket& keyframe) {
  if (!thumbnailer_) return;
  auto jpeg = thumbnailer_->encode(keyframe);
  if (!jpeg) {
    // One bad picture should not flood the log every segment.
    core::logger("packager")->warn("{} thumbnails stopped: {}", context(), jpeg.error().message);
    thumbnailer_.reset();
    return;
  }
  stream_->window.set_thumbnail(std::move(jpeg.value()));
}

void StreamPackager::restart(const core::TrackInfo& track) {
  TrackOutput& out = *output(track.id);
  TrackOutputs done;
  // The next segment starts a new period: nothing is announced before it exists.
  stream_->window.pause(track.key());
  if (core::Status status = out.close(last_duration(tracks_[track.id]), done); !status) {
    return fail(status.error());
  }
  add_to_window(track.key(), done);
  if (core::Status status = out.configure(track); !status) return fail(status.error());
  stream_->window.add_init(out.track(), out.init_uri(), out.init());
  if (track.id == thumbnail_track_) open_thumbnailer(track);
  segmenter_->restart(track.id);
  core::logger("packager")
      ->info("{} new {} configuration, now {}", context(), core::codec_name(track.codec),
             out.init_uri());
}

void StreamPackager::add_to_window(core::TrackKey key, TrackOutputs& done) {
  if (done.empty()) return;
  for (auto& part : done.parts) stream_->window.add_part(key, std::move(part));
  for (auto& segment : done.segments) {
    stream_->window.add_segment(key, std::move(segment));
    ++segments_;
  }
  stream_->window.refresh(!done.segments.empty());
}

int64_t StreamPackager::last_duration(const Track& track) const {
  if (const int64_t step = segmenter_->last_step(track.info.id); step > 0) return step;
  const core::TrackInfo& info = track.output->track();
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
  for (const auto& [key, output] : stream_->outputs) stream_->window.pause(key);
  for (auto& [id, track] : tracks_) {
    TrackOutput* out = track.output;
    if (out == nullptr) continue;
    TrackOutputs done;
    core::Status status = state_ == State::running ? out->close(last_duration(track), done)
                                                   : core::Status(core::Ok{});
    if (!status) fail(status.error());
    if (state_ == State::running) {
      add_to_window(out->track().key(), done);
    } else {
      out->discard();
    }
  }
  const RepairCounts c = counts();
  core::logger("packager")
      ->info(
          "{} publish ended ({}): {} segments, {} DTS bumped, {} jumps, {} PTS raised, "
          "{} dropped, {} write errors",
          context(), core::end_reason_name(reason), segments_, c.non_monotonic, c.jumps,
          c.negative_composition, c.dropped, stream_->window.write_errors());
  stream_->publishing = false;
  stream_->tags->set_publishing(false);
  if (state_ != State::failed) state_ = State::ended;
}

void StreamPackager::fail(const core::Error& error) {
  core::logger("packager")->error("{} packaging stopped: {}", context(), error.message);
  state_ = State::failed;
}

}  // namespace looplive::packager
