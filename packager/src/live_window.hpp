#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "atomic_file.hpp"
#include "dash_manifest.hpp"
#include "file_set.hpp"
#include "hls_playlist.hpp"
#include "looplive/packager/live_view.hpp"
#include "looplive/packager/packager.hpp"
#include "period_spans.hpp"
#include "recorder.hpp"
#include "rendered_text.hpp"
#include "serial_jobs.hpp"
#include "stream_disk.hpp"
#include "tag_book.hpp"
#include "track_output.hpp"
#include "view_slot.hpp"

namespace looplive::packager {

struct StreamSettings {
  std::filesystem::path media_root;
  std::string stream_id;
  bool record = false;
  bool write_to_disk = true;     // segments, init segments, the recording index
  bool write_live_files = true;  // live playlists, MPD and thumbnail too
  uint32_t live_window = 6;
  int64_t segment_ms = 2000;
  int64_t part_ms = 0;  // LL-HLS part target; 0: plain playlists
  // Where this process starts a fresh stream's segment numbers, and the mark
  // in its live MPD's time-addressed names, so that no URL a cache may keep
  // is ever reissued with other bytes after a restart (see numbering_epoch()).
  uint64_t epoch = 1;
  size_t max_queued_writes = 1024;             // see PackagerOptions
  size_t max_queued_bytes = 64 * 1024 * 1024;  // see PackagerOptions
  std::string utc_timing_url = "/time";
  bool vod_in_place = false;                                  // see PackagerOptions
  std::function<int64_t()> clock;                             // Unix milliseconds
  DiskExecutor disk_executor;                                 // empty: write on the caller's thread
  std::function<void(const std::string& stream_id)> on_view;  // after each new view
  // After a view that put tags on air (see PackagerOptions).
  std::function<void(const std::string& stream_id, std::vector<core::ProductTag> tags)>
      on_tags_aired;
};

// A stream's EXT-X-DATERANGE lines: those of every listed tag, and what a
// delta update that skips date ranges holds instead.
struct DaterangeTexts {
  std::string all;
  std::string recent;            // added or changed within the skip boundary
  std::string recently_removed;  // IDs of those removed within it, tab-separated
};

// A stream's live window, for its whole life across publishes (layout:
// media/stream_files.hpp): turns finished segments into playlists, an MPD and
// LiveViews for the origin, and hands them to the Recorder beside it when the
// stream is recorded. Playlists, the MPD and thumbnail.jpg reach the disk
// only with write_live_files (the origin serves them from the view), though a
// recorded stream leaves its closed playlists and MPD when it ends.
// A segment file is written before any playlist lists it, and stays on disk
// and in the view for one more window after it leaves the playlists, since
// players may still fetch it (RFC 8216 section 6.2.2); recorded streams keep all.
// The view is stored at once; files are written in order by the StreamDisk,
// so the thread that packages never waits on the disk. Only what a recording
// needs after a crash is fsynced: segments, init segments and the recording
// index of recorded streams, and the VOD.
class LiveWindow {
 public:
  // `tags` are listed in the playlists and the MPD, and in the recording's.
  LiveWindow(StreamSettings settings, std::shared_ptr<ViewSlot> slot,
             std::shared_ptr<TagBook> tags);
  LiveWindow(const LiveWindow&) = delete;
  LiveWindow& operator=(const LiveWindow&) = delete;

  // Media time 0 in Unix milliseconds, for PROGRAM-DATE-TIME and availabilityStartTime.
  void set_wall_origin(int64_t wall_origin_ms) { wall_origin_ms_ = wall_origin_ms; }
  const std::optional<int64_t>& wall_origin() const { return wall_origin_ms_; }
  // A track's configuration and init segment: when it first appears, at each
  // publish and after a new codec configuration. The set of tracks never shrinks.
  void add_init(const core::TrackInfo& track, const std::string& init_uri,
                const core::SharedBytes& init);
  // A part of a track's open segment, then the segment once complete; what
  // they add reaches the view and the playlists at the next refresh().
  void add_part(core::TrackKey key, FinishedPart part);
  // The track's parts stop for now (its publisher left, or a new codec
  // configuration starts a new init segment): no segment after its last one
  // is announced until its next part.
  void pause(core::TrackKey key);
  // The track ended early (StreamPackager::end_track): the multivariant
  // playlist, the MPD, the view and the recording leave it out from now on,
  // until add_init() brings it back.
  void drop(core::TrackKey key);
  void add_segment(core::TrackKey key, FinishedSegment segment);
  // Renders the playlists (and the multivariant playlist and MPD, when a
  // segment was added) and stores a new view.
  void refresh(bool segments_added);
  // The latest preview still, in the view from the next segment on.
  void set_thumbnail(core::SharedBytes jpeg);
  // A recorded track as read back from disk after a crash, bytes filled in.
  void restore(const core::TrackInfo& track, std::vector<SegmentInfo> recorded);
  // Final playlists with ENDLIST, a static MPD and, when recorded, the VOD.
  EndResult end();

  // Where the latest segment of any track ends on the timeline; 0 before any.
  int64_t timeline_end() const;
  uint64_t write_errors() const { return disk_.errors(); }
  uint64_t epoch() const { return settings_.epoch; }

 private:
  struct Track {
    std::optional<core::TrackInfo> info;
    std::string playlist_name;
    std::string prefix;                // of its files: "v", "a", "v1"...
    std::string time_prefix;           // of its time-addressed names: "v_<epoch>"
    std::vector<SegmentInfo> listed;   // the live window
    std::vector<SegmentInfo> retired;  // left the window, still served
    std::optional<SegmentInfo> open;   // being built, once it has a part
    // Parts are coming: the segment after the last one is on its way.
    bool producing = false;
    std::optional<SegmentInfo> announced;  // the growing segment the live MPD lists
    std::vector<PartInfo> parts;           // of the last few segments and the open one
    FileSet media;
    BitrateMeter meter;
    int64_t longest_ms = 0;
    RenderedText playlist;
    std::shared_ptr<const DeltaPlaylists> deltas;  // of that playlist; null for none
    bool dropped = false;                          // ended early in this publish: listed nowhere
  };

  Track& track(core::TrackKey key);  // made on first sight
  std::vector<Track*> active();      // the tracks with a configuration, in key order
  bool complete();
  Sync segment_sync() const { return settings_.record ? Sync::durable : Sync::replace_only; }
  void retire(Track& t);
  void render(bool ended, bool segments_added = true);
  MediaPlaylistOptions low_latency_options(const Track& t) const;
  std::optional<SegmentInfo> growing(const Track& t) const;
  uint64_t bandwidth(const Track& t) const;  // bits per second, for the MPD
  MpdOptions live_mpd_options() const;
  std::vector<RenditionReport> reports_for(const Track& t);
  int64_t window_start() const;  // the first listed segment's start, of any track
  // The EXT-X-DATERANGE lines of every listed tag, and what a delta update
  // that skips date ranges holds instead: those added or changed within the
  // last `skip_ms`, and the IDs of those removed within it.
  struct DaterangeLines {
    // Shared with the delta updates rendered from them, when asked for.
    std::shared_ptr<const DaterangeTexts> texts;
    // What they were made of, and until when they hold.
    bool made = false;
    std::shared_ptr<const std::vector<TagRange>> tags;
    int64_t skip_ms = 0;
    int64_t made_ms = 0;
    int64_t valid_until_ms = 0;
  };
  const DaterangeLines& daterange_lines(
      const std::shared_ptr<const std::vector<TagRange>>& listed_tags, int64_t now_ms,
      int64_t skip_ms);
  void store_view(bool ended);  // for the origin, in the stream's ViewSlot

  StreamSettings settings_;
  std::shared_ptr<ViewSlot> slot_;
  std::shared_ptr<TagBook> tags_;
  uint64_t mpd_tags_version_ = 0;  // the tags the MPD lists
  // What a live MPD's AdaptationSets are made of besides the finished
  // segments and the growing ones' start (`segments_added`, `growing_changed`).
  struct MpdTrackState {
    const Track* track = nullptr;
    uint64_t bandwidth = 0;
    std::optional<std::pair<uint64_t, bool>> growing;  // its period, whether independent
    bool operator==(const MpdTrackState&) const = default;
  };
  struct MpdTracksKey {
    bool ended = false;
    bool inband_events = false;
    std::vector<MpdTrackState> tracks;
    bool operator==(const MpdTracksKey&) const = default;
  };
  MpdTracksKey mpd_tracks_key_;                 // of the live MPD's last AdaptationSets
  std::map<uint64_t, std::string> mpd_tracks_;  // those AdaptationSets, by period
  // What a listed tag renders to, by tag id, kept while it is listed.
  struct RenderedRange {
    std::optional<int64_t> end_ms;
    std::string line;     // its EXT-X-DATERANGE
    std::string cue_xml;  // its cue as XML text, for the MPD's Event
    uint64_t listed_in = 0;
    int64_t changed_ms = 0;  // Unix time its line was first listed as it is now
  };
  std::unordered_map<uint64_t, RenderedRange> rendered_tags_;
  struct RemovedRange {
    int64_t removed_ms = 0;  // Unix time it left the playlists
    uint64_t tag_id = 0;
  };
  std::deque<RemovedRange> removed_tags_;  // oldest first
  uint64_t renders_ = 0;
  DaterangeLines dateranges_;  // as last made
  std::filesystem::path live_dir_;
  std::map<core::TrackKey, Track> tracks_;
  PeriodSpans spans_;
  core::SharedBytes thumbnail_;
  std::optional<int64_t> wall_origin_ms_;
  RenderedText multivariant_;
  RenderedText mpd_;
  uint64_t version_ = 0;
  std::optional<Recorder> recorder_;  // recorded streams
  StreamDisk disk_;  // last: destroyed first, its jobs done before what they touch goes
};

}  // namespace looplive::packager
