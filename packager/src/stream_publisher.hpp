#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hls_playlist.hpp"
#include "looplive/packager/live_view.hpp"
#include "track_output.hpp"
#include "view_slot.hpp"

namespace looplive::packager {

struct PublisherSettings {
  std::filesystem::path media_root;
  std::string stream_id;
  bool record = false;
  bool write_to_disk = true;
  uint32_t live_window = 6;
  int64_t segment_ms = 2000;
  std::string utc_timing_url = "/time";
  std::function<int64_t()> clock;  // Unix milliseconds
};

// Turns finished segments into files, playlists, an MPD and LiveViews.
// Layout under the media root:
//   live/<id>/init_v.mp4, init_v_1.mp4 (after a codec change), v_<n>.m4s, the
//   same with "a" for audio, video.m3u8, audio.m3u8, index.m3u8, manifest.mpd;
//   vods/<id>.m3u8 (multivariant), vods/<id>_video.m3u8, vods/<id>_audio.m3u8
//   and vods/<id>.mpd for recorded streams, all pointing into ../live/<id>/
//   so recorded segments are stored once.
// A segment file is written before any playlist lists it, and stays on disk
// and in the view for one more window after it leaves the playlists, since
// players may still fetch it (RFC 8216 section 6.2.2); recorded streams keep all.
class StreamPublisher {
 public:
  StreamPublisher(PublisherSettings settings, std::shared_ptr<ViewSlot> slot);

  // The tracks are fixed from here on.
  void start(const TrackOutput* video, const TrackOutput* audio);
  // Media time 0 in Unix milliseconds, for PROGRAM-DATE-TIME and availabilityStartTime.
  void set_wall_origin(int64_t wall_origin_ms) { wall_origin_ms_ = wall_origin_ms; }
  // The track's current init segment, after start or a new configuration.
  void add_init(core::MediaKind kind);
  void add_segment(core::MediaKind kind, FinishedSegment segment);
  void finish();

  uint64_t write_errors() const { return write_errors_; }

 private:
  struct Track {
    const TrackOutput* output = nullptr;
    std::string playlist_name;
    std::vector<SegmentInfo> listed;   // the live window
    std::vector<SegmentInfo> retired;  // left the window, still served
    std::vector<SegmentInfo> recorded;
    std::map<std::string, core::SharedBytes, std::less<>> media;
    BitrateMeter meter;
    int64_t longest_ms = 0;
    std::string playlist;
  };

  Track* track(core::MediaKind kind) { return kind == core::MediaKind::video ? &video_ : &audio_; }
  std::vector<Track*> active();
  bool complete();
  void write(const std::string& name, std::span<const uint8_t> bytes);
  void write(const std::filesystem::path& path, std::string_view text);
  void retire(Track& t);
  void render(bool ended);
  void write_vod();
  void publish(bool ended);

  PublisherSettings settings_;
  std::shared_ptr<ViewSlot> slot_;
  std::filesystem::path live_dir_;
  Track video_;
  Track audio_;
  int64_t wall_origin_ms_ = 0;
  std::string multivariant_;
  std::string mpd_;
  uint64_t version_ = 0;
  uint64_t write_errors_ = 0;
};

}  // namespace looplive::packager
