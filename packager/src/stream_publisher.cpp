#include "stream_publisher.hpp"

#include <algorithm>
#include <system_error>
#include <utility>

#include "atomic_file.hpp"
#include "dash_manifest.hpp"
#include "looplive/core/log.hpp"

namespace looplive::packager {

StreamPublisher::StreamPublisher(PublisherSettings settings, std::shared_ptr<ViewSlot> slot)
    : settings_(std::move(settings)),
      slot_(std::move(slot)),
      live_dir_(settings_.media_root / "live" / settings_.stream_id) {
  video_.playlist_name = "video.m3u8";
  audio_.playlist_name = "audio.m3u8";
}

void StreamPublisher::start(const TrackOutput* video, const TrackOutput* audio) {
  video_.output = video;
  audio_.output = audio;
  if (!settings_.write_to_disk) return;
  std::error_code error;
  std::filesystem::create_directories(live_dir_, error);
  if (error) {
    ++write_errors_;
    core::logger("packager")
        ->error("{}: cannot create {}: {}", settings_.stream_id, live_dir_.string(),
                error.message());
  }
}

std::vector<StreamPublisher::Track*> StreamPublisher::active() {
  std::vector<Track*> tracks;
  if (video_.output != nullptr) tracks.push_back(&video_);
  if (audio_.output != nullptr) tracks.push_back(&audio_);
  return tracks;
}

// The multivariant playlist and the MPD name every track, so they wait until
// each track has a segment to list.
bool StreamPublisher::complete() {
  const auto tracks = active();
  return !tracks.empty() &&
         std::all_of(tracks.begin(), tracks.end(), [](Track* t) { return !t->listed.empty(); });
}

void StreamPublisher::add_init(core::MediaKind kind) {
  Track& t = *track(kind);
  t.media[t.output->init_uri()] = t.output->init();
  write(t.output->init_uri(), t.output->init().span());
}

void StreamPublisher::add_segment(core::MediaKind kind, FinishedSegment segment) {
  Track& t = *track(kind);
  SegmentInfo& info = segment.info;
  info.wall_clock_ms = wall_origin_ms_ + info.start_ms;
  write(info.uri, segment.bytes.span());
  t.media[info.uri] = segment.bytes;
  t.meter.add(info.bytes, info.duration_ms);
  t.longest_ms = std::max(t.longest_ms, info.duration_ms);
  if (settings_.record) t.recorded.push_back(info);
  t.listed.push_back(std::move(info));
  if (t.listed.size() > settings_.live_window) {
    t.retired.push_back(std::move(t.listed.front()));
    t.listed.erase(t.listed.begin());
  }
  retire(t);
  render(false);
  publish(false);
}

void StreamPublisher::finish() {
  render(true);
  if (settings_.record) write_vod();
  publish(true);
}

void StreamPublisher::retire(Track& t) {
  while (t.retired.size() > settings_.live_window) {
    const std::string uri = std::move(t.retired.front().uri);
    t.retired.erase(t.retired.begin());
    t.media.erase(uri);
    if (settings_.write_to_disk && !settings_.record) {
      std::error_code ignored;  // a missing file is what we wanted anyway
      std::filesystem::remove(live_dir_ / uri, ignored);
    }
  }
}

void StreamPublisher::render(bool ended) {
  // One target duration for all renditions, as RFC 8216 asks of the variants of a stream.
  int64_t longest = 0;
  for (Track* t : active()) longest = std::max(longest, t->longest_ms);
  for (Track* t : active()) {
    MediaPlaylistOptions options;
    options.longest_segment_ms = longest;
    options.ended = ended;
    t->playlist = render_media_playlist(t->listed, options);
    if (!t->playlist.empty()) write(live_dir_ / t->playlist_name, t->playlist);
  }
  if (!complete()) return;

  VariantOptions variant;
  std::vector<DashTrack> dash;
  for (Track* t : active()) {
    const core::TrackInfo& info = t->output->track();
    (info.kind == core::MediaKind::video ? variant.video : variant.audio) = &info;
    variant.peak_bandwidth += t->meter.peak();
    variant.average_bandwidth += t->meter.average();
    const char* prefix = info.kind == core::MediaKind::video ? "v" : "a";
    dash.push_back({&info, t->listed, t->meter.peak(), std::string(prefix) + "_$Number$.m4s"});
  }
  multivariant_ = render_multivariant_playlist(variant);
  write(live_dir_ / "index.m3u8", multivariant_);

  MpdOptions mpd;
  mpd.dynamic = !ended;
  mpd.availability_start_ms = wall_origin_ms_;
  mpd.publish_ms = settings_.clock();
  mpd.segment_ms = settings_.segment_ms;
  mpd.time_shift_ms = settings_.segment_ms * settings_.live_window;
  mpd.presentation_delay_ms = settings_.segment_ms * 3;
  mpd.utc_timing_url = settings_.utc_timing_url;
  mpd_ = render_mpd(dash, mpd);
  write(live_dir_ / "manifest.mpd", mpd_);
}

void StreamPublisher::write_vod() {
  const std::filesystem::path dir = settings_.media_root / "vods";
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  const std::string& id = settings_.stream_id;
  const std::string prefix = "../live/" + id + "/";
  VariantOptions variant;
  variant.video_uri = id + "_video.m3u8";
  variant.audio_uri = id + "_audio.m3u8";
  std::vector<DashTrack> dash;
  for (Track* t : active()) {
    if (t->recorded.empty()) return;
    const core::TrackInfo& info = t->output->track();
    const bool video = info.kind == core::MediaKind::video;
    (video ? variant.video : variant.audio) = &info;
    variant.peak_bandwidth += t->meter.peak();
    variant.average_bandwidth += t->meter.average();
    MediaPlaylistOptions options;
    options.vod = true;
    options.uri_prefix = prefix;
    write(dir / (video ? variant.video_uri : variant.audio_uri),
          render_media_playlist(t->recorded, options));
    dash.push_back(
        {&info, t->recorded, t->meter.peak(), std::string(video ? "v" : "a") + "_$Number$.m4s"});
  }
  write(dir / (id + ".m3u8"), render_multivariant_playlist(variant));
  MpdOptions mpd;
  mpd.dynamic = false;
  mpd.segment_ms = settings_.segment_ms;
  mpd.utc_timing_url = settings_.utc_timing_url;
  mpd.base_url = prefix;
  write(dir / (id + ".mpd"), render_mpd(dash, mpd));
}

void StreamPublisher::publish(bool ended) {
  auto view = std::make_shared<LiveView>();
  view->stream_id = settings_.stream_id;
  view->version = ++version_;
  view->ended = ended;
  for (Track* t : active()) {
    LiveTrackView track{t->output->track(), t->listed, t->playlist};
    (t == &video_ ? view->video : view->audio) = std::move(track);
    view->media.insert(t->media.begin(), t->media.end());
  }
  view->multivariant = multivariant_;
  view->mpd = mpd_;
  slot_->view.store(std::move(view));
}

void StreamPublisher::write(const std::string& name, std::span<const uint8_t> bytes) {
  if (!settings_.write_to_disk) return;
  if (core::Status status = write_atomically(live_dir_ / name, bytes); !status) {
    ++write_errors_;
    core::logger("packager")->error("{}: {}", settings_.stream_id, status.error().message);
  }
}

void StreamPublisher::write(const std::filesystem::path& path, std::string_view text) {
  if (!settings_.write_to_disk) return;
  if (core::Status status = write_atomically(path, text); !status) {
    ++write_errors_;
    core::logger("packager")->error("{}: {}", settings_.stream_id, status.error().message);
  }
}

}  // namespace looplive::packager
