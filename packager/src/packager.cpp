#include "looplive/packager/packager.hpp"

#include <algorithm>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "looplive/av/log.hpp"
#include "looplive/core/log.hpp"
#include "looplive/media/stream_files.hpp"
#include "stream_packager.hpp"
#include "stream_recovery.hpp"
#include "stream_state.hpp"

namespace looplive::packager {
namespace {

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

StreamSettings stream_settings(const packager::PackagerConfig& config,
                               const PackagerOptions& options, const std::string& stream_id,
                               bool record) {
  StreamSettings settings;
  settings.media_root = config.media_root;
  settings.stream_id = stream_id;
  settings.record = record;
  settings.write_to_disk = config.write_live_to_disk || record;
  settings.write_live_files = config.write_live_to_disk;
  settings.live_window = std::max<uint32_t>(1, config.live_window);
  settings.segment_ms = config.segment_duration.count();
  settings.part_ms = config.part_duration.count();
  settings.on_view = options.on_view;
  settings.on_tags_aired = options.on_tags_aired;
  settings.utc_timing_url = options.utc_timing_url;
  settings.clock = options.clock;
  settings.epoch = numbering_epoch(options.clock());
  settings.disk_executor = options.disk_executor;
  settings.max_queued_writes = options.max_queued_writes;
  settings.max_queued_bytes = options.max_queued_bytes;
  settings.vod_in_place = options.vod_in_place;
  return settings;
}

}  // namespace

// Streams from their first open() to end_stream().
// Read by every origin request (view()), changed only when a stream opens or
// ends: readers share the lock and never wait for one another.
struct Packager::Registry {
  mutable std::shared_mutex mutex;
  std::unordered_map<std::string, std::shared_ptr<StreamState>> streams;
};

Packager::Packager(const packager::PackagerConfig& config, PackagerOptions options)
    : config_(config),
      options_(with_clock(std::move(options))),
      registry_(std::make_unique<Registry>()) {
  av::route_ffmpeg_logs();
}

Packager::~Packager() = default;

std::shared_ptr<core::PacketSink> Packager::open(const core::PublishGrant& grant) {
  std::shared_ptr<StreamState> stream;
  {
    std::shared_lock lock(registry_->mutex);
    const auto found = registry_->streams.find(grant.stream_id);
    if (found != registry_->streams.end()) stream = found->second;
  }
  if (!stream) {
    const StreamSettings settings =
        stream_settings(config_, options_, grant.stream_id, grant.record);
    auto fresh = std::make_shared<StreamState>(settings);
    // Once per stream and process, and outside the registry lock that every
    // origin request takes: the index is read only if a previous run left one.
    if (grant.record) resume_from_disk(*fresh, settings);
    // An earlier run's cards, on the timeline the recording resumes; a
    // stream that starts over has a new timeline their times do not fit.
    if (grant.earlier_tags && fresh->window.timeline_end() > 0)
      fresh->tags->add_missing(*grant.earlier_tags);
    std::lock_guard lock(registry_->mutex);
    auto& entry = registry_->streams[grant.stream_id];
    if (!entry) entry = std::move(fresh);
    stream = entry;
  }
  return std::make_shared<StreamPackager>(config_, options_, grant, std::move(stream));
}

std::shared_ptr<const LiveView> Packager::view(const std::string& stream_id) const {
  const auto stream = find(stream_id);
  return stream ? stream->slot->view.load() : nullptr;
}

EndResult Packager::end_stream(const std::string& stream_id, std::vector<core::ProductTag> stored) {
  std::shared_ptr<StreamState> stream;
  {
    std::lock_guard lock(registry_->mutex);
    const auto found = registry_->streams.find(stream_id);
    if (found == registry_->streams.end()) return {};
    stream = found->second;
  }
  EndResult result;
  {
    std::lock_guard lock(stream->mutex);
    if (stream->ended) return {};
    if (stream->publishing) {
      core::logger("packager")
          ->error("{} ended while a publish is still open", core::log_context(stream_id));
    }
    stream->tags->add_missing(std::move(stored));
    result = stream->window.end();
    stream->ended = true;
  }
  core::logger("packager")
      ->info("{} ended: {:.3f} s{}", core::log_context(stream_id), result.duration_seconds,
             result.recorded ? ", recorded" : "");
  // The view stayed up while the VOD was written; only now does it go.
  std::lock_guard lock(registry_->mutex);
  const auto found = registry_->streams.find(stream_id);
  if (found != registry_->streams.end() && found->second == stream) registry_->streams.erase(found);
  return result;
}

EndResult Packager::recover_stream(const std::string& stream_id, bool recorded,
                                   std::vector<core::ProductTag> stored) {
  bool held = false;
  {
    std::lock_guard lock(registry_->mutex);
    held = registry_->streams.contains(stream_id);
  }
  if (held) return end_stream(stream_id, std::move(stored));
  auto tags = std::make_shared<TagBook>();
  tags->add_missing(std::move(stored));
  return recover_from_disk(stream_settings(config_, options_, stream_id, recorded), tags);
}

std::shared_ptr<StreamState> Packager::find(const std::string& stream_id) const {
  std::shared_lock lock(registry_->mutex);
  const auto found = registry_->streams.find(stream_id);
  return found == registry_->streams.end() ? nullptr : found->second;
}

namespace {

core::Error not_here(const std::string& stream_id) {
  return core::Error{"stream " + stream_id + " is not being packaged here",
                     core::ErrorCode::not_found};
}

}  // namespace

core::Result<core::TagStamp> Packager::stamp_tag(const std::string& stream_id,
                                                 std::optional<int64_t> media_time_ms,
                                                 std::optional<int64_t> wall_clock_ms) const {
  const auto stream = find(stream_id);
  if (!stream) return not_here(stream_id);
  return stream->tags->stamp(options_.clock(), media_time_ms, wall_clock_ms);
}

core::Status Packager::add_tag(const std::string& stream_id, core::ProductTag tag) {
  const auto stream = find(stream_id);
  if (!stream) return not_here(stream_id);
  return stream->tags->add(std::move(tag));
}

core::Status Packager::remove_tag(const std::string& stream_id, uint64_t tag_id) {
  const auto stream = find(stream_id);
  if (!stream) return not_here(stream_id);
  return stream->tags->remove(tag_id);
}

core::Status Packager::remove_media(const std::string& stream_id) const {
  return media::files::remove_stream(config_.media_root, stream_id);
}

}  // namespace looplive::packager
