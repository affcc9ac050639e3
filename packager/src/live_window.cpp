#include "live_window.hpp"

#include <algorithm>
#include <limits>
#include <system_error>
#include <utility>

#include "atomic_file.hpp"
#include "dash_manifest.hpp"
#include "looplive/core/log.hpp"
#include "looplive/media/stream_files.hpp"

namespace looplive::packager {
namespace {

// Segments whose parts stay in memory: the two listed and two more.
constexpr uint64_t kPartSegmentsKept = 4;
constexpr uint64_t kPartSegmentsListed = 2;

// What a playlist's delta updates are rendered from, copied as the playlist
// was made: the window moves on before one is asked for, if ever. Its
// options point at its own copies, never at the live window's state, so it
// is neither copied nor moved.
struct DeltaSource {
  std::vector<SegmentInfo> segments;
  std::vector<PartInfo> parts;
  std::optional<SegmentInfo> open_segment;
  std::vector<RenditionReport> reports;
  std::shared_ptr<const DaterangeTexts> dateranges;
  MediaPlaylistOptions options;

  DeltaSource(std::span<const SegmentInfo> listed, const MediaPlaylistOptions& made_with,
              std::shared_ptr<const DaterangeTexts> lines)
      : segments(listed.begin(), listed.end()),
        parts(made_with.parts.begin(), made_with.parts.end()),
        reports(made_with.reports.begin(), made_with.reports.end()),
        dateranges(std::move(lines)),
        options(made_with) {
    if (made_with.open_segment != nullptr) open_segment = *made_with.open_segment;
    options.parts = parts;
    options.open_segment = open_segment ? &*open_segment : nullptr;
    options.reports = reports;
    options.dateranges = {};
    options.removed_dateranges = {};
  }
  DeltaSource(const DeltaSource&) = delete;
  DeltaSource& operator=(const DeltaSource&) = delete;

  std::string render(bool skip_dateranges) const {
    MediaPlaylistOptions update = options;
    update.delta = skip_dateranges ? DeltaUpdate::skip_dateranges_too : DeltaUpdate::skip_segments;
    if (dateranges) {
      update.dateranges = skip_dateranges ? dateranges->recent : dateranges->all;
      if (skip_dateranges) update.removed_dateranges = dateranges->recently_removed;
    }
    return render_media_playlist(segments, update);
  }
};

}  // namespace

LiveWindow::LiveWindow(StreamSettings settings, std::shared_ptr<ViewSlot> slot,
                       std::shared_ptr<TagBook> tags)
    : settings_(std::move(settings)),
      slot_(std::move(slot)),
      tags_(std::move(tags)),
      live_dir_(media::files::live_dir(settings_.media_root, settings_.stream_id)),
      disk_({live_dir_, settings_.stream_id, settings_.write_to_disk, settings_.max_queued_writes,
             settings_.max_queued_bytes, settings_.disk_executor}) {
  if (settings_.record)
    recorder_.emplace(disk_, settings_.media_root, settings_.stream_id, settings_.vod_in_place);
}

LiveWindow::Track& LiveWindow::track(core::TrackKey key) {
  const auto [found, made] = tracks_.try_emplace(key);
  Track& t = found->second;
  if (made) {
    t.playlist_name = media::files::media_playlist(key);
    t.prefix = media::files::track_prefix(key);
    t.time_prefix = media::files::timed_prefix(t.prefix, settings_.epoch);
  }
  return t;
}

std::vector<LiveWindow::Track*> LiveWindow::active() {
  std::vector<Track*> tracks;
  for (auto& [key, t] : tracks_)
    if (t.info && !t.dropped) tracks.push_back(&t);
  return tracks;
}

void LiveWindow::drop(core::TrackKey key) {
  const auto found = tracks_.find(key);
  if (found == tracks_.end() || found->second.dropped) return;
  found->second.dropped = true;
  render(false, true);
  store_view(false);
}

void LiveWindow::pause(core::TrackKey key) {
  if (const auto found = tracks_.find(key); found != tracks_.end()) found->second.producing = false;
}

// The multivariant playlist and the MPD name every track, so they wait until
// each track has a segment to list.
bool LiveWindow::complete() {
  const auto tracks = active();
  return !tracks.empty() &&
         std::all_of(tracks.begin(), tracks.end(), [](Track* t) { return !t->listed.empty(); });
}

int64_t LiveWindow::window_start() const {
  std::optional<int64_t> start;
  for (const auto& [key, t] : tracks_) {
    if (!t.listed.empty())
      start = std::min(start.value_or(t.listed.front().start_ms), t.listed.front().start_ms);
  }
  return start.value_or(0);
}

int64_t LiveWindow::timeline_end() const {
  int64_t end = 0;
  for (const auto& [key, t] : tracks_) {
    if (!t.listed.empty())
      end = std::max(end, t.listed.back().start_ms + t.listed.back().duration_ms);
  }
  return end;
}

void LiveWindow::add_init(const core::TrackInfo& info, const std::string& init_uri,
                          const core::SharedBytes& init) {
  Track& t = track(info.key());
  t.info = info;
  t.dropped = false;
  t.media.put(init_uri, init);
  disk_.write(live_dir_ / init_uri, init, segment_sync());
}

void LiveWindow::add_segment(core::TrackKey key, FinishedSegment segment) {
  Track& t = track(key);
  SegmentInfo& info = segment.info;
  info.wall_clock_ms = wall_origin_ms_.value_or(0) + info.start_ms + info.presentation_offset_ms;
  if (recorder_) {
    recorder_->add_segment(*t.info, info, segment.bytes);
  } else {
    disk_.write(live_dir_ / info.uri, segment.bytes, Sync::replace_only);
  }
  t.media.put(info.uri, segment.bytes);
  // The same bytes under the name the live MPD gives them.
  t.media.put(media::files::timed_segment(t.time_prefix, info.start_ms), segment.bytes);
  t.meter.add(info.bytes, info.duration_ms);
  t.longest_ms = std::max(t.longest_ms, info.duration_ms);
  spans_.add(info);
  if (t.open && t.open->number <= info.number) t.open.reset();
  // Parts are listed for the last two segments and kept two more, for
  // players still fetching them.
  const uint64_t newest = info.number;
  const auto kept = std::find_if(t.parts.begin(), t.parts.end(), [&](const PartInfo& p) {
    return p.segment_number + kPartSegmentsKept > newest;
  });
  for (auto it = t.parts.begin(); it != kept; ++it) t.media.erase(it->uri);
  t.parts.erase(t.parts.begin(), kept);
  t.listed.push_back(std::move(info));
  if (t.listed.size() > settings_.live_window) {
    t.retired.push_back(std::move(t.listed.front()));
    t.listed.erase(t.listed.begin());
  }
  retire(t);
}

void LiveWindow::add_part(core::TrackKey key, FinishedPart part) {
  Track& t = track(key);
  part.segment.wall_clock_ms =
      wall_origin_ms_.value_or(0) + part.segment.start_ms + part.segment.presentation_offset_ms;
  // A part that opens a segment means more are coming; the last parts of a
  // track being paused close the segment they belong to.
  if (!t.open || t.open->number != part.segment.number) t.producing = true;
  t.open = std::move(part.segment);
  t.media.put(part.info.uri, std::move(part.bytes));
  t.parts.push_back(std::move(part.info));
}

void LiveWindow::refresh(bool segments_added) {
  render(false, segments_added);
  store_view(false);
}

void LiveWindow::set_thumbnail(core::SharedBytes jpeg) {
  if (settings_.write_live_files)
    disk_.write(live_dir_ / media::files::kThumbnail, jpeg, Sync::replace_only);
  thumbnail_ = std::move(jpeg);
}

void LiveWindow::restore(const core::TrackInfo& info, std::vector<SegmentInfo> recorded) {
  Track& t = track(info.key());
  t.info = info;
  for (const auto& s : recorded) {
    t.meter.add(s.bytes, s.duration_ms);
    t.longest_ms = std::max(t.longest_ms, s.duration_ms);
    spans_.add(s);
  }
  const size_t window = std::min<size_t>(settings_.live_window, recorded.size());
  t.listed.assign(recorded.end() - static_cast<std::ptrdiff_t>(window), recorded.end());
  disk_.drain();
  if (recorder_) recorder_->restore(info.key(), std::move(recorded));
}

EndResult LiveWindow::end() {
  EndResult result;
  render(true);
  result.duration_seconds = static_cast<double>(spans_.total_ms()) / 1000;
  // The VOD is made from what reached the disk, once every write before it has.
  disk_.drain();
  if (recorder_) {
    std::vector<Recorder::VodTrack> tracks;
    for (Track* t : active())
      tracks.push_back({&*t->info, t->prefix, t->meter.peak(), t->meter.average()});
    recorder_->write_vod(tracks, tags_->all(), settings_.segment_ms, settings_.utc_timing_url,
                         result);
  }
  if (const uint64_t failed = write_errors(); settings_.record && failed > 0) {
    result.recording_error = std::to_string(failed) + " write" + (failed == 1 ? "" : "s") +
                             " to the media root failed, the first: " + disk_.first_failure() +
                             ". The recording keeps what was stored before.";
  }
  store_view(true);
  return result;
}

void LiveWindow::retire(Track& t) {
  while (t.retired.size() > settings_.live_window) {
    const std::string uri = std::move(t.retired.front().uri);
    t.media.erase(media::files::timed_segment(t.time_prefix, t.retired.front().start_ms));
    t.retired.erase(t.retired.begin());
    t.media.erase(uri);
    if (settings_.write_to_disk && !settings_.record) {
      disk_.queue(0, [path = live_dir_ / uri] {
        std::error_code ignored;  // a missing file is what we wanted anyway
        std::filesystem::remove(path, ignored);
      });
    }
  }
}

MediaPlaylistOptions LiveWindow::low_latency_options(const Track& t) const {
  MediaPlaylistOptions options;
  if (settings_.part_ms <= 0 || t.listed.empty()) return options;
  options.part_target_ms = settings_.part_ms;
  const uint64_t last = t.listed.back().number;
  const auto listed = std::find_if(t.parts.begin(), t.parts.end(), [&](const PartInfo& p) {
    return p.segment_number + kPartSegmentsListed > last;
  });
  options.parts = {listed, t.parts.end()};
  if (t.open) {
    options.open_segment = &*t.open;
    const auto open_parts = std::count_if(t.parts.begin(), t.parts.end(), [&](const PartInfo& p) {
      return p.segment_number == t.open->number;
    });
    options.preload_hint =
        media::files::part(t.prefix, t.open->number, static_cast<uint32_t>(open_parts));
  } else {
    options.preload_hint = media::files::part(t.prefix, last + 1, 0);
  }
  return options;
}

// Low-latency DASH: the segment the live MPD lists while it is being
// written. The one after the last finished segment is listed the moment that
// one ends, before its first part exists, since players refresh the MPD at
// most once a second (dash.js) and must know of it by the time they reach it;
// it starts where the last one ended. The show's first segment is listed
// from its first part: a player waiting for the show starts on it, a second
// or more before it is whole.
std::optional<SegmentInfo> LiveWindow::growing(const Track& t) const {
  if (!t.producing) return std::nullopt;
  if (t.open) return t.open;
  if (t.listed.empty()) return std::nullopt;
  SegmentInfo next = t.listed.back();
  next.number += 1;
  next.start_ms += next.duration_ms;
  next.wall_clock_ms += next.duration_ms;
  next.duration_ms = 0;
  next.bytes = 0;
  next.discontinuity = false;
  next.uri.clear();
  return next;
}

// Where each other track's playlist has got to, so a player switching
// renditions asks for the right part at once.
std::vector<RenditionReport> LiveWindow::reports_for(const Track& t) {
  std::vector<RenditionReport> reports;
  if (settings_.part_ms <= 0) return reports;
  for (Track* other : active()) {
    if (other == &t || other->listed.empty()) continue;
    RenditionReport report{other->playlist_name, other->listed.back().number, -1};
    if (other->open) report.last_msn = other->open->number;
    for (const PartInfo& p : other->parts) {
      if (p.segment_number == report.last_msn) report.last_part = p.index;
    }
    reports.push_back(std::move(report));
  }
  return reports;
}

void LiveWindow::render(bool ended, bool segments_added) {
  // One target duration for all renditions and the whole show (RFC 8216
  // section 6.2.1); only segments recorded by an earlier version can exceed
  // the configured one, and they raise it for good.
  int64_t target = target_duration_seconds(settings_.segment_ms);
  for (Track* t : active()) target = std::max(target, rounded_seconds(t->longest_ms));
  // The origin serves live playlists from the view. A recorded stream also
  // leaves its closed ones on disk, where the origin finds them once the view
  // is gone, so a player still polling a finished show sees it end.
  // A VOD made in place takes the live names itself.
  const bool to_disk =
      settings_.write_live_files || (ended && settings_.record && !settings_.vod_in_place);
  // That closing write is the disk's first sight of the multivariant playlist,
  // which seldom changes after the stream's first segments.
  const bool closing_only = to_disk && !settings_.write_live_files;
  const auto write_live = [&](std::string_view name, const core::SharedBytes& text) {
    if (to_disk) disk_.write(live_dir_ / name, text, Sync::replace_only);
  };
  // Every playlist lists the tags from the oldest segment on, and those still on screen there.
  const uint64_t tags_version = tags_->version();
  const std::shared_ptr<const std::vector<TagRange>> listed_tags =
      tags_version > 0 ? tags_->listed(window_start()) : nullptr;
  const std::span<const TagRange> tags =
      listed_tags ? std::span<const TagRange>(*listed_tags) : std::span<const TagRange>();
  const int64_t skip_ms =
      skip_until_ms(target, settings_.segment_ms * int64_t{settings_.live_window});
  const DaterangeLines& dateranges = daterange_lines(listed_tags, settings_.clock(), skip_ms);
  for (Track* t : active()) {
    MediaPlaylistOptions options = low_latency_options(*t);
    options.dateranges = dateranges.texts->all;
    const std::vector<RenditionReport> reports = reports_for(*t);
    options.reports = reports;
    options.target_seconds = target;
    // Players not on LL-HLS start three target durations from the live edge.
    options.hold_back_ms = target * 3000;
    options.ended = ended;
    options.skip_until_ms = skip_ms;
    // The other track's playlist rarely changes with this one's segment: a
    // rewrite would cost a rename and the freeing of the old file's blocks.
    if (!t->playlist.set(render_media_playlist(t->listed, options))) continue;
    // Its delta updates change with it, and only then: a live LL-HLS
    // playlist changes at every part, so what a delta update counts as
    // recent is at most a part older than a request for it. Only a live
    // LL-HLS playlist with segments past the skip boundary has them (the
    // sample configuration's window of 6 segments has none); each is rendered
    // when first asked for.
    t->deltas.reset();
    if (options.part_target_ms > 0 && !ended && skippable_segments(t->listed, skip_ms) > 0) {
      auto source = std::make_shared<const DeltaSource>(t->listed, options, dateranges.texts);
      t->deltas = std::make_shared<const DeltaPlaylists>(
          [source](bool skip_dateranges) { return source->render(skip_dateranges); });
    }
    if (!t->playlist.text().empty()) write_live(t->playlist_name, t->playlist.shared());
  }
  // The live MPD lists each segment being written (low-latency DASH) from its
  // first part on, so it changes when one starts as well as when one ends.
  const bool low_latency_dash = !ended && settings_.part_ms > 0;
  bool growing_changed = false;
  for (Track* t : active()) {
    std::optional<SegmentInfo> next = low_latency_dash ? growing(*t) : std::nullopt;
    const auto key = [](const std::optional<SegmentInfo>& s) {
      return s ? std::pair(s->number, s->start_ms) : std::pair(uint64_t{0}, int64_t{0});
    };
    growing_changed = growing_changed || key(next) != key(t->announced);
    t->announced = std::move(next);
  }
  // The multivariant playlist needs a finished segment of every track; the
  // MPD also takes a growing one.
  const auto tracks = active();
  const bool mpd_ready =
      !tracks.empty() && std::all_of(tracks.begin(), tracks.end(), [](const Track* t) {
        return !t->listed.empty() || t->announced;
      });
  const bool tags_changed = tags_version != mpd_tags_version_;
  if (!mpd_ready || (!segments_added && !growing_changed && !tags_changed)) return;
  mpd_tags_version_ = tags_version;

  std::vector<VariantTrack> variants;
  std::vector<DashTrack> dash;
  MpdTracksKey tracks_key{ended, tags_version > 0, {}};
  for (Track* t : tracks) {
    const core::TrackInfo& info = *t->info;
    variants.push_back({&info, t->playlist_name, t->meter.peak(), t->meter.average()});
    dash.push_back({&info, t->listed, bandwidth(*t),
                    ended ? media::files::segment_template(t->prefix, false)
                          : media::files::segment_template(t->time_prefix, true),
                    t->announced});
    MpdTrackState& state = tracks_key.tracks.emplace_back(t, dash.back().bandwidth);
    if (t->announced)
      state.growing = {t->announced->discontinuity_index, t->announced->independent};
  }
  MpdOptions mpd = live_mpd_options();
  mpd.events = tags;
  mpd.escaped_cue = [this](uint64_t tag_id) -> const std::string* {
    const auto found = rendered_tags_.find(tag_id);
    return found != rendered_tags_.end() ? &found->second.cue_xml : nullptr;
  };
  mpd.inband_events = tracks_key.inband_events;
  mpd.kept_tracks = &mpd_tracks_;
  mpd.reuse_tracks = !segments_added && !growing_changed && tracks_key == mpd_tracks_key_;
  mpd_tracks_key_ = std::move(tracks_key);
  if (!complete()) {
    // Only the live MPD so far, with the first segments as they grow.
    mpd_.set(render_mpd(dash, mpd));
    return;
  }
  if (multivariant_.set(render_multivariant_playlist(variants)) || closing_only)
    write_live(media::files::kMultivariantPlaylist, multivariant_.shared());

  mpd.dynamic = !ended;
  if (ended) mpd.chunk_ms = 0;
  mpd_.set(render_mpd(dash, mpd));
  if (!to_disk || !segments_added) return;
  if (!ended) {
    // Only the origin knows the segments' time names and serves a segment
    // while it grows: the copy on disk, for another web server, numbers them
    // and lists finished segments only.
    for (DashTrack& track : dash) {
      track.media_template =
          media::files::segment_template(media::files::track_prefix(track.info->key()), false);
      track.growing.reset();
    }
    mpd.chunk_ms = 0;
    mpd.kept_tracks = nullptr;
    write_live(media::files::kManifest, core::SharedBytes(render_mpd(dash, mpd)));
  } else {
    write_live(media::files::kManifest, mpd_.shared());
  }
}

// A tag's line changes only when its end becomes known, and a show lists
// hundreds at 50 tags a second: each is rendered (and its cue escaped for
// the MPD) once while it is listed, not every part.
// The same list of tags gives the same lines until one of them stops being
// recent or a removed one is no longer named (`dateranges_.valid_until_ms`).
const LiveWindow::DaterangeLines& LiveWindow::daterange_lines(
    const std::shared_ptr<const std::vector<TagRange>>& listed_tags, int64_t now_ms,
    int64_t skip_ms) {
  DaterangeLines& out = dateranges_;
  if (out.made && out.tags == listed_tags && out.skip_ms == skip_ms && now_ms >= out.made_ms &&
      now_ms <= out.valid_until_ms)
    return out;
  out = DaterangeLines{};
  auto texts = std::make_shared<DaterangeTexts>();
  out.made = true;
  out.tags = listed_tags;
  out.skip_ms = skip_ms;
  out.made_ms = now_ms;
  const std::span<const TagRange> tags =
      listed_tags ? std::span<const TagRange>(*listed_tags) : std::span<const TagRange>();
  ++renders_;
  size_t size = 0;
  // Elements of an unordered_map keep their address when others come and go.
  std::vector<const RenderedRange*> listed;
  listed.reserve(tags.size());
  for (const TagRange& range : tags) {
    auto [it, fresh] = rendered_tags_.try_emplace(range.tag->id);
    RenderedRange& rendered = it->second;
    if (fresh) rendered.cue_xml = xml_text(range.tag->cue_json);
    if (fresh || rendered.end_ms != range.end_ms) {
      rendered.end_ms = range.end_ms;
      rendered.line = render_daterange(range);
      rendered.changed_ms = now_ms;
    }
    rendered.listed_in = renders_;
    size += rendered.line.size();
    listed.push_back(&rendered);
  }
  std::vector<uint64_t> unlisted;
  std::erase_if(rendered_tags_, [&](const auto& entry) {
    if (entry.second.listed_in == renders_) return false;
    unlisted.push_back(entry.first);
    return true;
  });
  std::sort(unlisted.begin(), unlisted.end());
  for (const uint64_t tag_id : unlisted) removed_tags_.push_back({now_ms, tag_id});
  // A delta update that skips date ranges keeps those changed within the
  // skip boundary and names those removed within it (RFC 8216bis 6.2.5.1).
  while (!removed_tags_.empty() && removed_tags_.front().removed_ms < now_ms - skip_ms)
    removed_tags_.pop_front();
  texts->all.reserve(size);
  out.valid_until_ms = std::numeric_limits<int64_t>::max();
  for (const RenderedRange* rendered : listed) {
    texts->all += rendered->line;
    if (rendered->changed_ms < now_ms - skip_ms) continue;
    texts->recent += rendered->line;
    out.valid_until_ms = std::min(out.valid_until_ms, rendered->changed_ms + skip_ms);
  }
  for (const RemovedRange& removed : removed_tags_) {
    if (!texts->recently_removed.empty()) texts->recently_removed += '\t';
    texts->recently_removed += daterange_id(removed.tag_id);
  }
  if (!removed_tags_.empty())
    out.valid_until_ms = std::min(out.valid_until_ms, removed_tags_.front().removed_ms + skip_ms);
  out.texts = std::move(texts);
  return out;
}

MpdOptions LiveWindow::live_mpd_options() const {
  MpdOptions mpd;
  mpd.availability_start_ms = wall_origin_ms_.value_or(0);
  mpd.publish_ms = settings_.clock();
  mpd.segment_ms = settings_.segment_ms;
  mpd.time_shift_ms = settings_.segment_ms * settings_.live_window;
  mpd.presentation_delay_ms = settings_.segment_ms * 3;
  mpd.utc_timing_url = settings_.utc_timing_url;
  mpd.period_starts = &spans_.starts();
  if (settings_.part_ms > 0) {
    mpd.chunk_ms = settings_.part_ms;
    // An audio segment ends with the audio frame that crosses the video's
    // cut, a few tens of milliseconds after it.
    mpd.growing_ms = max_segment_ms(settings_.segment_ms) + 100;
    mpd.target_latency_ms = dash_target_latency_ms(settings_.part_ms);
  }
  return mpd;
}

// The measured peak; before a segment is whole, the rate of the parts so far.
uint64_t LiveWindow::bandwidth(const Track& t) const {
  if (t.meter.peak() > 0 || !t.open) return t.meter.peak();
  uint64_t bytes = 0;
  int64_t duration_ms = 0;
  for (const PartInfo& part : t.parts) {
    if (part.segment_number != t.open->number) continue;
    if (const core::SharedBytes* found = t.media.find(part.uri)) bytes += found->size();
    duration_ms += part.duration_ms;
  }
  return duration_ms > 0 ? bytes * 8000 / uint64_t(duration_ms) : 0;
}

void LiveWindow::store_view(bool ended) {
  auto view = std::make_shared<LiveView>();
  view->stream_id = settings_.stream_id;
  view->version = ++version_;
  view->epoch = settings_.epoch;
  view->ended = ended;
  for (Track* t : active()) {
    const MediaPlaylistOptions listed = low_latency_options(*t);
    LiveTrackView track{*t->info,
                        t->playlist_name,
                        t->listed,
                        {listed.parts.begin(), listed.parts.end()},
                        listed.preload_hint,
                        t->playlist.shared(),
                        t->deltas};
    if (!ended && t->announced) {
      track.growing_uri = media::files::timed_segment(t->time_prefix, t->announced->start_ms);
      track.growing_number = t->announced->number;
      // The show's first segment: no playlist lists its parts yet.
      if (t->listed.empty()) {
        for (const PartInfo& part : t->parts)
          if (part.segment_number == track.growing_number) track.parts.push_back(part);
      }
    }
    view->tracks.push_back(std::move(track));
    view->media.push_back(t->media.snapshot());
  }
  view->thumbnail = thumbnail_;
  view->multivariant = multivariant_.shared();
  view->mpd = mpd_.shared();
  slot_->view.store(std::move(view));
  if (settings_.on_view) settings_.on_view(settings_.stream_id);
  if (std::vector<core::ProductTag> aired = tags_->take_aired();
      !aired.empty() && settings_.on_tags_aired)
    settings_.on_tags_aired(settings_.stream_id, std::move(aired));
}

}  // namespace looplive::packager
