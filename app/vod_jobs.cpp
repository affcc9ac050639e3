#include "vod_jobs.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "looplive/control_api/events.hpp"
#include "looplive/control_api/webhooks.hpp"
#include "looplive/core/error.hpp"
#include "looplive/core/log.hpp"
#include "looplive/media/stream_files.hpp"
#include "looplive/media/text_format.hpp"
#include "looplive/packager/packager.hpp"
#include "looplive/transcode/file_transcode.hpp"

namespace looplive::app {
namespace fs = std::filesystem;
namespace {

// How often a worker with nothing to do looks at the queue (jobs queued by
// other processes, leases run out), and how often a running job renews its lease.
constexpr auto kIdleLook = std::chrono::seconds(5);
constexpr auto kProgressEvery = std::chrono::seconds(1);
// The share of a job's percent that probing and the poster take, and packaging after the transcode.
constexpr double kBeforeTranscode = 2;
constexpr double kTranscodeShare = 96;

bool is_url(const std::string& source) {
  const auto starts = [&](std::string_view prefix) {
    if (source.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(source[i])) != prefix[i]) return false;
    return true;
  };
  return starts("http://") || starts("https://");
}

// A relative path of plain names: nothing that climbs out of the import folder.
bool is_plain_relative_path(const std::string& source) {
  if (source.empty() || source.front() == '/') return false;
  for (char c : source)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\') return false;
  size_t start = 0;
  while (start <= source.size()) {
    const size_t slash = std::min(source.find('/', start), source.size());
    const std::string_view name(source.data() + start, slash - start);
    if (name.empty() || name == "." || name == "..") return false;
    start = slash + 1;
  }
  return true;
}

nlohmann::json probe_json(const transcode::FileProbe& probe) {
  return {{"durationSeconds", probe.duration_seconds},
          {"bitRate", probe.bit_rate},
          {"format", probe.format},
          {"videoCodec", probe.video_codec},
          {"width", probe.width},
          {"height", probe.height},
          {"frameRate", probe.frame_rate},
          {"audioCodec",
           probe.audio_codec.empty() ? nlohmann::json(nullptr) : nlohmann::json(probe.audio_codec)},
          {"sampleRate", probe.sample_rate},
          {"channels", probe.channels}};
}

// Bytes of a track's media segments in `dir`: its measured bitrate over the duration.
uint64_t track_bytes(const fs::path& dir, core::TrackKey key) {
  const std::string prefix = media::files::track_prefix(key) + "_";
  uint64_t bytes = 0;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(prefix) && name.ends_with(".m4s")) bytes += entry.file_size(error);
  }
  return bytes;
}

uint64_t folder_bytes(const fs::path& dir) {
  uint64_t bytes = 0;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error))
    if (entry.is_regular_file(error)) bytes += entry.file_size(error);
  return bytes;
}

nlohmann::json renditions_json(const fs::path& dir, const std::vector<core::TrackInfo>& tracks,
                               double seconds) {
  nlohmann::json video = nlohmann::json::array();
  nlohmann::json audio = nullptr;
  for (const core::TrackInfo& track : tracks) {
    const uint64_t bits = track_bytes(dir, track.key()) * 8;
    const auto bitrate = seconds > 0 ? static_cast<uint64_t>(std::llround(bits / seconds)) : 0;
    if (track.kind == core::MediaKind::video) {
      video.push_back({{"width", track.width},
                       {"height", track.height},
                       {"frameRate", track.frame_rate},
                       {"codecs", track.codec_string},
                       {"bitRate", bitrate}});
    } else {
      audio = {{"codecs", track.codec_string},
               {"sampleRate", track.sample_rate},
               {"channels", track.channels},
               {"bitRate", bitrate}};
    }
  }
  return {{"renditions", video}, {"audio", audio}};
}

void remove_quietly(const fs::path& path) {
  std::error_code ignored;  // what cannot go now goes when the job runs again
  fs::remove_all(path, ignored);
}

// Why a job failed, unless it was stopped on purpose (then it runs again).
class JobFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const std::string& reason) {
  throw JobFailure(reason);
}

}  // namespace

VodJobRunner::VodJobRunner(Settings settings, db::VodJobRepository& jobs,
                           control_api::WebhookDispatcher* webhooks)
    : settings_(std::move(settings)), jobs_(jobs), webhooks_(webhooks) {}

VodJobRunner::~VodJobRunner() {
  stop();
}

void VodJobRunner::start() {
  try {
    if (const uint64_t n = jobs_.requeue_abandoned(settings_.owner); n > 0)
      core::logger("vod")->info("{} VOD job(s) left running queued again", n);
  } catch (const std::exception& error) {
    core::logger("vod")->warn("VOD jobs left running not queued again: {}", error.what());
  }
  for (uint32_t i = 0; i < settings_.vod.workers; ++i) workers_.emplace_back([this] { work(); });
}

void VodJobRunner::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
    for (auto& [id, cancel] : running_) *cancel = true;
  }
  cv_.notify_all();
  for (std::thread& worker : workers_) worker.join();
  workers_.clear();
  // What the workers were running goes back to the queue for the next run.
  try {
    jobs_.requeue_abandoned(settings_.owner);
  } catch (const std::exception& error) {
    core::logger("vod")->warn("running VOD jobs not queued again: {}", error.what());
  }
}

std::optional<std::string> VodJobRunner::refuse_source(const std::string& source) const {
  if (is_url(source)) {
    if (!settings_.vod.allow_urls)
      return "This server takes no URL as a source (vod.allow_urls is off): name a file under "
             "its import folder.";
    for (char c : source)
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
        return "\"source\" is not a URL: it holds a space or a control character.";
    return std::nullopt;
  }
  if (source.find("://") != std::string::npos)
    return "\"source\" must be an http:// or https:// URL, or a file under the import folder.";
  if (!is_plain_relative_path(source))
    return "\"source\" must name a file under the import folder: a relative path of names, "
           "without \"..\", \".\" or a leading \"/\".";
  return std::nullopt;
}

void VodJobRunner::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  cv_.notify_one();
}

void VodJobRunner::forget(const std::string& job_id) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = running_.find(job_id); it != running_.end()) *it->second = true;
  }
  const fs::path root = settings_.packager.media_root;
  remove_quietly(media::files::vod_job_dir(root, job_id));
}

std::string VodJobRunner::locate(const std::string& source) const {
  if (is_url(source)) return source;
  std::error_code error;
  const fs::path folder = fs::weakly_canonical(settings_.vod.import_dir, error);
  const fs::path path = fs::weakly_canonical(folder / source, error);
  if (error) fail("no such file under the import folder: " + source);
  // A link inside the folder must not lead out of it.
  const auto [end, _] = std::mismatch(folder.begin(), folder.end(), path.begin(), path.end());
  if (end != folder.end()) fail("not a file under the import folder: " + source);
  if (!fs::exists(path, error)) fail("no such file under the import folder: " + source);
  if (!fs::is_regular_file(path, error)) fail("not a regular file: " + source);
  return path.string();
}

void VodJobRunner::work() {
  auto next_requeue = std::chrono::steady_clock::now();
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    std::optional<db::VodJobRecord> job;
    try {
      if (std::chrono::steady_clock::now() >= next_requeue) {
        jobs_.requeue_expired();
        next_requeue = std::chrono::steady_clock::now() + settings_.lease;
      }
      if (sweep_due()) sweep_deleted();
      job = jobs_.claim_next(settings_.owner, settings_.lease);
    } catch (const std::exception& error) {
      core::logger("vod")->warn("VOD job queue not read: {}", error.what());
    }
    if (job) {
      run(*job);
      continue;
    }
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, kIdleLook, [this] { return woken_ || stopping_; });
    woken_ = false;
  }
}

bool VodJobRunner::sweep_due() {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  if (now < next_sweep_) return false;
  next_sweep_ = now + settings_.vod.deleted_sweep;
  return true;
}

void VodJobRunner::sweep_deleted() {
  const fs::path vods = media::files::vods_dir(settings_.packager.media_root);
  std::vector<std::string> folders;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(vods, error))
    if (entry.is_directory(error)) folders.push_back(entry.path().filename().string());
  if (folders.empty()) return;
  // A job's folder appears only once its row exists; a DELETE taken by
  // another server removed the row and that server's folder, not this one.
  for (const std::string& id : jobs_.deleted_among(folders)) {
    remove_quietly(media::files::vod_job_dir(settings_.packager.media_root, id));
    core::logger("vod")->info(
        "VOD job {} was deleted through another server: its folder is removed", id);
  }
}

void VodJobRunner::run(const db::VodJobRecord& job) {
  const std::string& id = job.job.id;
  const auto log = core::logger("vod");
  const auto started = std::chrono::steady_clock::now();
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  {
    std::lock_guard lock(mutex_);
    running_[id] = cancel;
  }
  const fs::path root = settings_.packager.media_root;
  const fs::path work_root = media::files::vod_work_root(root);
  const fs::path work_dir = media::files::live_dir(work_root, id);
  const fs::path final_dir = media::files::vod_job_dir(root, id);
  remove_quietly(work_dir);  // an earlier attempt's
  log->info("VOD job {} started (attempt {}): {}", id, job.attempts, job.job.source);

  auto report = [&, last = std::chrono::steady_clock::time_point{}](double percent) mutable {
    const auto now = std::chrono::steady_clock::now();
    if (now - last < kProgressEvery) return;
    last = now;
    try {
      if (!jobs_.progress(id, settings_.owner, static_cast<int>(percent), settings_.lease))
        *cancel = true;  // deleted, or no longer ours
    } catch (const std::exception& error) {
      log->warn("VOD job {} progress not stored: {}", id, error.what());
    }
  };
  transcode::FileOptions file;
  file.io_timeout = settings_.vod.io_timeout;
  file.cancelled = [cancel] { return cancel->load(); };
  try {
    const std::string source = locate(job.job.source);
    const auto probe = transcode::probe_file(source, file);
    if (!probe) fail(probe.error().message);
    jobs_.set_probe(id, settings_.owner, probe_json(probe.value()).dump());
    if (probe->duration_seconds > settings_.vod.max_duration_seconds)
      fail("the video lasts " +
           media::trimmed_seconds_text(std::llround(1000 * probe->duration_seconds)) +
           " s; this server takes at most " + std::to_string(settings_.vod.max_duration_seconds) +
           " s (vod.max_duration_seconds)");
    const double poster_at = job.job.poster_at_seconds.value_or(probe->duration_seconds / 10);
    if (poster_at > probe->duration_seconds)
      fail("posterAtSeconds (" + media::trimmed_seconds_text(std::llround(1000 * poster_at)) +
           ") is past the end of the video (" +
           media::trimmed_seconds_text(std::llround(1000 * probe->duration_seconds)) + " s)");
    const auto poster = transcode::poster_jpeg(source, poster_at,
                                               static_cast<int>(settings_.vod.poster_width), file);
    if (!poster) fail("poster: " + poster.error().message);
    report(kBeforeTranscode);

    packager::PackagerConfig config = settings_.packager;
    config.media_root = work_root.string();
    config.write_live_to_disk = false;
    config.thumbnails = false;
    packager::PackagerOptions options;
    options.vod_in_place = true;
    packager::Packager packager(config, options);
    core::PublishGrant grant;
    grant.stream_id = id;
    grant.record = true;
    const std::shared_ptr<core::PacketSink> sink = packager.open(grant);

    transcode::FileTranscodeOptions transcoding;
    transcoding.file = file;
    for (const std::string& text : job.job.rungs)
      if (auto rung = core::parse_rung(text)) transcoding.rungs.push_back(*rung);
    if (transcoding.rungs.empty()) transcoding.rungs = settings_.vod.rungs;
    transcoding.encoder = settings_.vod.encoder;
    transcoding.preset = settings_.vod.preset;
    transcoding.threads = settings_.vod.threads;
    transcoding.gop = settings_.packager.segment_duration;
    transcoding.progress = [&](double done) {
      report(kBeforeTranscode + kTranscodeShare * std::clamp(done, 0.0, 1.0));
    };
    const auto transcoded = transcode::transcode_file(source, transcoding, *sink);
    const packager::EndResult ended = packager.end_stream(id);
    if (!transcoded) fail(transcoded.error().message);
    if (ended.recording_error) fail("packaging: " + *ended.recording_error);
    if (!ended.recorded || !ended.vod_mp4) fail("packaging: nothing was packaged");

    // The folder as it is served: the recording indexes were for crash recovery.
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(work_dir, error))
      if (media::files::is_recording_index(entry.path().filename().string()))
        fs::remove(entry.path(), error);
    {
      std::ofstream out(work_dir / media::files::kPoster, std::ios::binary);
      out.write(poster->data(), static_cast<std::streamsize>(poster->size()));
      if (!out.flush()) fail("poster: cannot be written to the media root");
    }
    nlohmann::json outputs = renditions_json(work_dir, transcoded->tracks, ended.duration_seconds);
    outputs["durationSeconds"] = ended.duration_seconds;
    outputs["sizeBytes"] = folder_bytes(work_dir);
    outputs["posterWritten"] = true;
    outputs["elapsedSeconds"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    // One rename: players and caches see the whole folder or none of it.
    fs::create_directories(final_dir.parent_path(), error);
    remove_quietly(final_dir);  // an attempt that died before the database heard of it
    fs::rename(work_dir, final_dir, error);
    if (error) fail("the packaged folder cannot be moved into vods/: " + error.message());
    const bool ours = jobs_.finish_ready(id, settings_.owner, outputs.dump(),
                                         events(control_api::events::kVodReady));
    if (ours) {
      log->info("VOD job {} ready in {:.1f} s", id, outputs["elapsedSeconds"].get<double>());
      if (webhooks_) webhooks_->wake();
    } else {
      remove_quietly(final_dir);  // deleted while it ran
    }
  } catch (const std::exception& error) {
    remove_quietly(work_dir);
    bool stopping = false;
    {
      std::lock_guard lock(mutex_);
      stopping = stopping_;
    }
    if (stopping) {
      log->info("VOD job {} interrupted by the shutdown; it runs again later", id);
    } else if (dynamic_cast<const JobFailure*>(&error) != nullptr) {
      finish_failed(id, error.what());
    } else if (!cancel->load()) {
      finish_failed(id, std::string("internal error: ") + error.what());
    }
  }
  std::lock_guard lock(mutex_);
  running_.erase(id);
}

db::VodJobEvents VodJobRunner::events(std::string_view type) const {
  if (webhooks_ == nullptr) return {};
  return [this, type](const db::VodJobRecord& job) {
    return webhooks_->deliveries(type, control_api::vod_job_json(job, settings_.urls),
                                 std::nullopt);
  };
}

void VodJobRunner::finish_failed(const std::string& id, const std::string& reason) {
  const auto log = core::logger("vod");
  try {
    if (jobs_.finish_failed(id, settings_.owner, reason, events(control_api::events::kVodFailed))) {
      log->warn("VOD job {} failed: {}", id, reason);
      if (webhooks_) webhooks_->wake();
    }
  } catch (const std::exception& error) {
    log->warn("VOD job {} failed ({}) and that was not stored: {}", id, reason, error.what());
  }
}

}  // namespace looplive::app
