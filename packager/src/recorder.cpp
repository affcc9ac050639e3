#include "recorder.hpp"

#include <algorithm>
#include <system_error>
#include <utility>

#include "dash_manifest.hpp"
#include "hls_playlist.hpp"
#include "looplive/media/stream_files.hpp"
#include "recording_index.hpp"
#include "vod_mp4.hpp"

namespace looplive::packager {

namespace {

// Where a stream's VOD files go and what they are called.
struct VodNames {
  std::filesystem::path dir;
  std::string path_prefix;  // of the files' paths under the media root
  std::string to_segments;  // how the files reach the segments
  std::string multivariant;
  std::string manifest;
  std::string mp4;
  std::string media_playlist(const std::string& id, core::TrackKey track) const {
    return to_segments.empty() ? media::files::media_playlist(track)
                               : media::files::vod_media_playlist(id, track);
  }
};

VodNames vod_names(const std::filesystem::path& media_root, const std::string& id, bool in_place) {
  namespace files = media::files;
  if (in_place) {
    return {files::live_dir(media_root, id),
            files::live_path(id, ""),
            "",
            std::string(files::kMultivariantPlaylist),
            std::string(files::kManifest),
            std::string(files::kDownload)};
  }
  return {files::vods_dir(media_root), files::vod_path(""),     files::vod_to_live(id),
          files::vod_multivariant(id), files::vod_manifest(id), files::vod_mp4(id)};
}

}  // namespace

Recorder::Recorder(StreamDisk& disk, std::filesystem::path media_root, std::string stream_id,
                   bool in_place)
    : disk_(disk),
      media_root_(std::move(media_root)),
      stream_id_(std::move(stream_id)),
      in_place_(in_place) {}

void Recorder::add_segment(const core::TrackInfo& track, const SegmentInfo& segment,
                           const core::SharedBytes& bytes) {
  disk_.queue(bytes.size(), [this, track, segment, bytes] {
    if (stopped_) return;
    stopped_ = !disk_.store(disk_.live_dir() / segment.uri, bytes, Sync::durable);
    if (!stopped_) index(track, segment);
  });
}

// The segment's bytes are fsynced before the index names it, and so is its
// name (the directory), so the index never names a file a crash could lose.
// The index grows by an appended entry, which keeps a segment's cost flat
// however long the show runs; it is written whole only the first time in a
// run, after a failed append, or for a segment longer than its target duration.
void Recorder::index(const core::TrackInfo& track, const SegmentInfo& segment) {
  Recorded& r = recorded_[track.key()];
  r.segments.push_back(segment);
  disk_.sync_dir(disk_.live_dir());
  const std::filesystem::path path = disk_.live_dir() / media::files::recording_index(track.key());
  int64_t& target = r.index_target_seconds;
  if (target > 0 && recording_target_seconds(segment.duration_ms) <= target) {
    const size_t n = r.segments.size();
    const SegmentInfo* previous = n > 1 ? &r.segments[n - 2] : nullptr;
    const core::Status appended = append_durably(path, render_recording_entry(previous, segment));
    if (appended) return;
    disk_.fail(appended.error().message);
  }
  int64_t longest = 0;
  for (const auto& s : r.segments) longest = std::max(longest, s.duration_ms);
  const std::string text = render_recording_index(track, r.segments);
  const bool written = disk_.store(path, std::string_view(text), Sync::durable);
  disk_.sync_dir(disk_.live_dir());
  target = written ? recording_target_seconds(longest) : 0;
}

void Recorder::restore(core::TrackKey key, std::vector<SegmentInfo> segments) {
  recorded_[key].segments = std::move(segments);
}

const std::vector<SegmentInfo>& Recorder::segments_of(core::TrackKey key) const {
  static const std::vector<SegmentInfo> kNone;
  const auto found = recorded_.find(key);
  return found == recorded_.end() ? kNone : found->second.segments;
}

void Recorder::write_vod(const std::vector<VodTrack>& tracks, std::span<const TagRange> tags,
                         int64_t segment_ms, const std::string& utc_timing_url, EndResult& result) {
  if (std::all_of(tracks.begin(), tracks.end(),
                  [this](const VodTrack& t) { return segments_of(t.info->key()).empty(); })) {
    return;
  }
  const VodNames names = vod_names(media_root_, stream_id_, in_place_);
  const std::filesystem::path& dir = names.dir;
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  const std::string& id = stream_id_;
  const std::string& prefix = names.to_segments;
  const auto store_text = [this](const std::filesystem::path& path, const std::string& text) {
    disk_.store(path, std::string_view(text), Sync::durable);
  };
  const std::string dateranges = render_dateranges(tags);
  std::vector<VariantTrack> variants;
  std::vector<DashTrack> dash;
  for (const VodTrack& t : tracks) {
    const std::vector<SegmentInfo>& segments = segments_of(t.info->key());
    if (segments.empty()) continue;
    const std::string playlist = names.media_playlist(id, t.info->key());
    variants.push_back({t.info, playlist, t.peak_bandwidth, t.average_bandwidth});
    MediaPlaylistOptions options;
    options.vod = true;
    options.uri_prefix = prefix;
    options.dateranges = dateranges;
    store_text(dir / playlist, render_media_playlist(segments, options));
    dash.push_back(
        {t.info, segments, t.peak_bandwidth, media::files::segment_template(t.prefix, false)});
  }
  store_text(dir / names.multivariant, render_multivariant_playlist(variants));
  MpdOptions mpd;
  mpd.dynamic = false;
  mpd.segment_ms = segment_ms;
  mpd.utc_timing_url = utc_timing_url;
  mpd.base_url = prefix;
  mpd.events = tags;
  mpd.inband_events = !tags.empty();
  store_text(dir / names.manifest, render_mpd(dash, mpd));
  disk_.sync_dir(dir);

  result.recorded = true;
  result.vod_playlist = names.path_prefix + names.multivariant;
  // The MP4 download holds rendition 0 of each kind: what the publisher sent.
  auto mp4 = write_vod_mp4(disk_.live_dir(), segments_of({core::MediaKind::video, 0}),
                           segments_of({core::MediaKind::audio, 0}), dir / names.mp4, tags);
  if (mp4) {
    result.vod_mp4 = names.path_prefix + names.mp4;
  } else {
    disk_.fail("no MP4 of the recording: " + mp4.error().message);
  }
}

}  // namespace looplive::packager
