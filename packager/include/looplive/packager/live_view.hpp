#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "looplive/core/media_types.hpp"
#include "looplive/core/shared_bytes.hpp"
#include "looplive/media/stream_files.hpp"

namespace looplive::packager {

// One finished media segment as the playlists and the MPD describe it.
// Times are milliseconds on the stream's repaired timeline.
struct SegmentInfo {
  uint64_t number = 0;      // per track, from 1: v_<number>.m4s, a_<number>.m4s
  std::string uri;          // relative to the playlist
  std::string init_uri;     // the init segment it must be decoded with
  int64_t start_ms = 0;     // DTS of the first sample
  int64_t duration_ms = 0;  // up to the next segment's start
  // Unix time of the first frame shown, for EXT-X-PROGRAM-DATE-TIME: players
  // (hls.js, AVPlayer) date the segment's first presented frame, which with
  // B-frames comes presentation_offset_ms after its first decode time.
  int64_t wall_clock_ms = 0;
  int64_t presentation_offset_ms = 0;  // the first sample's PTS minus its DTS
  uint64_t bytes = 0;
  bool independent = true;           // starts with a keyframe (every audio segment does)
  bool discontinuity = false;        // first segment after a timeline break or a codec change
  uint64_t discontinuity_index = 0;  // breaks up to and including this segment
};

// One LL-HLS partial segment: a CMAF chunk of a segment, served on its own.
struct PartInfo {
  uint64_t segment_number = 0;  // the segment it belongs to
  uint32_t index = 0;           // from 0 within its segment (_HLS_part)
  std::string uri;              // v_<number>_p<index>.m4s
  int64_t duration_ms = 0;
  bool independent = false;  // starts with a keyframe (every audio part does)
};

// A media playlist's two delta updates (RFC 8216bis section 6.2.5.1), each
// rendered when first asked for, from what the playlist was made of: a live
// LL-HLS playlist changes at every part, and most players never ask for one.
// Shared by every view holding that playlist; safe to read from any thread.
class DeltaPlaylists {
 public:
  // Renders the update that skips segments, or date ranges too; empty text
  // when the playlist has nothing to skip. Called at most once for each.
  using Render = std::function<std::string(bool skip_dateranges)>;
  explicit DeltaPlaylists(Render render) : render_(std::move(render)) {}
  DeltaPlaylists(const DeltaPlaylists&) = delete;
  DeltaPlaylists& operator=(const DeltaPlaylists&) = delete;

  const core::SharedBytes& text(bool skip_dateranges) const {
    Rendered& update = skip_dateranges ? skipping_dateranges_ : skipping_segments_;
    std::call_once(update.once,
                   [&] { update.bytes = core::SharedBytes(render_(skip_dateranges)); });
    return update.bytes;
  }

 private:
  struct Rendered {
    std::once_flag once;
    core::SharedBytes bytes;
  };
  Render render_;
  mutable Rendered skipping_segments_;
  mutable Rendered skipping_dateranges_;
};

struct LiveTrackView {
  core::TrackInfo track;              // its key() tells the tracks of a stream apart
  std::string playlist_name;          // media::files::media_playlist(track.key()): video.m3u8...
  std::vector<SegmentInfo> segments;  // the live window, oldest first
  std::vector<PartInfo> parts;        // listed LL-HLS parts, oldest first
  std::string preload_hint;           // the next part, announced before it exists
  core::SharedBytes playlist;         // the text of video.m3u8, audio.m3u8, video_1.m3u8...
  // Its delta updates (_HLS_skip=YES, and v2 skipping older date ranges
  // too); null when none can be asked for.
  std::shared_ptr<const DeltaPlaylists> deltas;
  // Low-latency DASH: the segment being written, which the live MPD already
  // lists, under its time-addressed name (v_<epoch>_t<ms>.m4s); its parts are
  // those of segment `growing_number`. Empty when none is.
  std::string growing_uri;
  uint64_t growing_number = 0;
};

// A media segment as far as it is written: its CMAF chunks so far, in order,
// whose bytes joined are the segment's first bytes; `complete` once whole.
struct SegmentProgress {
  std::vector<core::SharedBytes> chunks;
  bool complete = false;
};

// Files a view serves, sorted by name: one track's init segments, segments
// and parts, shared by every view until that track's files change.
using MediaFiles = std::vector<std::pair<std::string, core::SharedBytes>>;

// An immutable picture of one stream's output, replaced as a whole after
// every segment, so an HTTP origin can serve it without touching the disk or
// locking the packager. File names match the files under live/<stream_id>/.
struct LiveView {
  std::string stream_id;
  uint64_t version = 0;  // grows with every replacement
  // The packaging run's numbering epoch: with `version`, names a view no
  // other run of the stream (after a restart) ever had.
  uint64_t epoch = 0;
  bool ended = false;
  std::vector<LiveTrackView> tracks;  // video first, then by rendition
  core::SharedBytes multivariant;     // index.m3u8
  core::SharedBytes mpd;              // manifest.mpd
  // Init segments still referenced and the window's segments, plus the few
  // that just left it (players may still be fetching them), each segment
  // under its number (v_12.m4s) and its start time (v_<epoch>_t24000.m4s, the live
  // MPD's name), a list per track; and thumbnail.jpg when thumbnails are on.
  std::vector<std::shared_ptr<const MediaFiles>> media;
  core::SharedBytes thumbnail;

  // The playlist or MPD text for a file name; nullptr for anything else and
  // for one with nothing to list yet, which must answer 404, never an empty 200.
  const core::SharedBytes* text(std::string_view name) const {
    const core::SharedBytes* found = nullptr;
    if (name == media::files::kMultivariantPlaylist) found = &multivariant;
    if (name == media::files::kManifest) found = &mpd;
    if (const LiveTrackView* track = track_of(name)) found = &track->playlist;
    return found != nullptr && !found->empty() ? found : nullptr;
  }
  // A media playlist's delta update (RFC 8216bis section 6.2.5.1), skipping
  // older date ranges too or not; nullptr when it has none, and the whole
  // playlist is the answer.
  const core::SharedBytes* delta_text(std::string_view name, bool skip_dateranges) const {
    const LiveTrackView* track = track_of(name);
    if (track == nullptr || track->deltas == nullptr) return nullptr;
    const core::SharedBytes& delta = track->deltas->text(skip_dateranges);
    return delta.empty() ? nullptr : &delta;
  }
  // The first segment of a playlist not yet complete, and how many of its
  // parts it lists: what a blocking playlist reload (_HLS_msn, _HLS_part) waits for.
  struct Edge {
    uint64_t next_msn = 0;
    uint32_t next_part = 0;
  };
  std::optional<Edge> edge(std::string_view playlist_name) const {
    const LiveTrackView* track = track_of(playlist_name);
    if (track == nullptr || track->segments.empty() || ended) return std::nullopt;
    Edge edge{track->segments.back().number + 1, 0};
    for (const auto& part : track->parts) {
      if (part.segment_number == edge.next_msn) ++edge.next_part;
    }
    return edge;
  }
  // A part the playlists announce with a preload hint, not yet complete.
  bool announces(std::string_view name) const {
    if (ended) return false;
    return std::any_of(tracks.begin(), tracks.end(),
                       [&](const LiveTrackView& t) { return t.preload_hint == name; });
  }
  // A media segment by its time-addressed name, whole or still being
  // written (low-latency DASH); nullopt for a name the view does not hold.
  std::optional<SegmentProgress> progress(std::string_view name) const {
    if (const core::SharedBytes* whole = file(name)) return SegmentProgress{{*whole}, true};
    if (ended) return std::nullopt;
    for (const LiveTrackView& track : tracks) {
      if (track.growing_uri.empty() || track.growing_uri != name) continue;
      SegmentProgress progress;
      for (const PartInfo& part : track.parts) {
        if (part.segment_number != track.growing_number) continue;
        if (const core::SharedBytes* bytes = file(part.uri)) progress.chunks.push_back(*bytes);
      }
      return progress;
    }
    return std::nullopt;
  }
  const core::SharedBytes* file(std::string_view name) const {
    if (name == media::files::kThumbnail) return thumbnail.empty() ? nullptr : &thumbnail;
    for (const auto& files : media) {
      const auto found = std::lower_bound(
          files->begin(), files->end(), name,
          [](const auto& entry, std::string_view wanted) { return entry.first < wanted; });
      if (found != files->end() && found->first == name) return &found->second;
    }
    return nullptr;
  }
  // The track a media playlist name lists; nullptr for any other name.
  const LiveTrackView* track_of(std::string_view playlist_name) const {
    for (const LiveTrackView& track : tracks)
      if (track.playlist_name == playlist_name) return &track;
    return nullptr;
  }
  // The track of a kind and rendition (rendition 0: what the publisher sent).
  const LiveTrackView* track(core::TrackKey key) const {
    for (const LiveTrackView& t : tracks)
      if (t.track.key() == key) return &t;
    return nullptr;
  }
  const LiveTrackView* video() const { return track({core::MediaKind::video, 0}); }
  const LiveTrackView* audio() const { return track({core::MediaKind::audio, 0}); }
};

}  // namespace looplive::packager
