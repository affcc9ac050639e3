#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "looplive/core/packet_sink.hpp"
#include "looplive/core/product_tag.hpp"
#include "looplive/core/result.hpp"
#include "looplive/packager/config.hpp"
#include "looplive/packager/live_view.hpp"

namespace looplive::packager {

struct StreamState;

// Runs a job on a thread that may block on the disk; jobs may run in
// parallel, the packager keeps each stream's own jobs in order.
using DiskExecutor = std::function<void(std::function<void()>)>;

// Settings that have no place in the configuration file (yet).
struct PackagerOptions {
  // DASH clients sync their clocks against this URL, which must answer with
  // an ISO 8601 UTC time (urn:mpeg:dash:utc:http-iso:2014); the HTTP origin serves it.
  std::string utc_timing_url = "/time";
  // How long, in media time, to wait for a second track before packaging one.
  std::chrono::milliseconds track_wait{1000};
  // A DTS step larger than this, either way, is a timeline break.
  std::chrono::milliseconds jump_threshold{10'000};
  // Unix time in milliseconds for PROGRAM-DATE-TIME and the MPD; the system clock when empty.
  std::function<int64_t()> clock;
  // A JPEG of the first keyframe of each video segment, as live/<id>/thumbnail.jpg
  // and in the view; it costs a decode and an encode per segment.
  bool thumbnails = false;
  int thumbnail_width = 320;  // at most, in pixels; the height keeps the aspect ratio
  // Told the stream's id each time its view changes, on the thread that
  // packages it (an origin answers the requests waiting on it); must not block.
  std::function<void(const std::string& stream_id)> on_view;
  // Told the product tags that reached the origin (a playlist, a manifest or
  // a fragment in the stream's view), their cues left out, on the thread that
  // packages the stream; must not block.
  std::function<void(const std::string& stream_id, std::vector<core::ProductTag> tags)>
      on_tags_aired;
  // Where file writes run. Empty: on the thread that packages, which then
  // waits on the disk (fine for tests and tools, not for an I/O thread).
  DiskExecutor disk_executor;
  // File writes, and the bytes they hold, a stream may have waiting for the
  // disk. A recorded stream queues about one write per second of media and
  // track; 64 MiB is over a minute of a 6 Mbit/s show. A stream whose disk
  // falls further behind stops writing: its recording ends at the last
  // segment stored, viewers go on from memory.
  size_t max_queued_writes = 1024;
  size_t max_queued_bytes = 64 * 1024 * 1024;
  // Where a recorded stream's VOD goes. Off: vods/<id>.m3u8 and the rest,
  // pointing into ../live/<id>/ (a show's replay). On: live/<id>/ itself
  // holds the whole VOD beside its segments, named as a packaged upload is
  // (media/stream_files.hpp: index.m3u8, video.m3u8, manifest.mpd,
  // download.mp4), and no live playlist is left there, so the folder can be
  // moved anywhere whole.
  bool vod_in_place = false;
};

// What ending a stream left behind. Paths are relative to the media root.
struct EndResult {
  bool recorded = false;                    // a VOD was written
  std::optional<std::string> vod_playlist;  // "vods/<id>.m3u8" ("live/<id>/index.m3u8" in place)
  std::optional<std::string>
      vod_mp4;  // "vods/<id>.mp4" ("live/<id>/download.mp4"); absent if remuxing failed
  double duration_seconds = 0;  // media packaged, reconnect gaps left out
  // A recorded stream whose files did not all reach the disk (a full disk, a
  // failing one): why, for the API and the recording.failed webhook. Its
  // recording, if any, ends at the last segment stored.
  std::optional<std::string> recording_error;
};

// Turns each admitted publish into CMAF (video and audio in separate files),
// HLS playlists and a DASH MPD, and keeps an in-memory LiveView of each
// stream for an HTTP origin. A stream lives from its first open() to
// end_stream(): a publish that finishes leaves it waiting for a reconnect, and
// the next open() of the same id continues its playlists after a
// discontinuity (a new DASH Period), numbering and timeline carried on.
// Files under the media root are laid out as looplive/media/stream_files.hpp
// describes.
//
// The VOD playlists and MPD reference the recorded segments where they
// already are, through relative URIs ("../live/<id>/v_1.m4s", or a BaseURL in
// the MPD), so nothing is stored twice; a recorded stream keeps every segment
// in live/<id>/. Unrecorded streams lose segments one live window after they
// leave the playlists. With write_live_to_disk off, unrecorded streams exist
// only in the view. Whether a stream is recorded is decided by its first publish.
//
// Product tags (core::TagCarrier) live with a stream from its first frame to
// end_stream(): each playlist lists them as EXT-X-DATERANGE, the MPD as an
// EventStream, and the fragments of the stream's first track carry them as
// emsg boxes, so a tag is on air at the next part at the latest; the
// recording keeps them all.
class Packager : public core::SinkFactory, public core::TagCarrier {
 public:
  explicit Packager(const packager::PackagerConfig& config, PackagerOptions options = {});
  ~Packager() override;
  Packager(const Packager&) = delete;
  Packager& operator=(const Packager&) = delete;

  // A StreamPackager; its calls must be serialized (a publish's session executor),
  // and publishes of one stream must not overlap. Its finish() lists the
  // partial segment and keeps the stream for the next publish, whatever the reason.
  std::shared_ptr<core::PacketSink> open(const core::PublishGrant& grant) override;
  // The stream's latest view, from any thread: from its first segment until
  // end_stream(), reconnects included; nullptr otherwise.
  std::shared_ptr<const LiveView> view(const std::string& stream_id) const;
  // Finalizes a stream whose publisher has finished: playlists with
  // EXT-X-ENDLIST, a static MPD, and for recorded streams the VOD playlists,
  // MPD and MP4; then forgets it. Blocks for the remux (run it off the I/O
  // threads). Thread-safe; an unknown or already ended stream gives an empty result.
  // `stored` are the stream's tags as kept elsewhere (the database): the
  // replay lists those this process never held too (placed before a restart).
  EndResult end_stream(const std::string& stream_id, std::vector<core::ProductTag> stored = {});
  // After a crash: finalizes a stream that was live when the process died,
  // from what is on disk alone (the recording index), so at most the segment
  // being written is lost. Also removes leftover temporary files. For a
  // stream this Packager still holds, the same as end_stream(). A recorded
  // stream published again instead (open() after a restart) resumes its
  // recording from the index: numbering carries on after a discontinuity and
  // nothing on disk is written over.
  EndResult recover_stream(const std::string& stream_id, bool recorded,
                           std::vector<core::ProductTag> stored = {});
  // Deletes every file of a stream that has ended: its live directory and
  // its replay (playlists, MPD, MP4). The error names a file that stayed.
  core::Status remove_media(const std::string& stream_id) const;

  core::Result<core::TagStamp> stamp_tag(const std::string& stream_id,
                                         std::optional<int64_t> media_time_ms,
                                         std::optional<int64_t> wall_clock_ms) const override;
  core::Status add_tag(const std::string& stream_id, core::ProductTag tag) override;
  core::Status remove_tag(const std::string& stream_id, uint64_t tag_id) override;

 private:
  struct Registry;
  std::shared_ptr<StreamState> find(const std::string& stream_id) const;
  packager::PackagerConfig config_;
  PackagerOptions options_;
  std::unique_ptr<Registry> registry_;
};

}  // namespace looplive::packager
