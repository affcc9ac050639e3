#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "looplive/core/ladder_choice.hpp"
#include "looplive/core/media_types.hpp"
#include "looplive/core/packet_sink.hpp"
#include "looplive/core/result.hpp"

// The file side of VOD packaging jobs: an uploaded video (a local path or an
// http(s) URL) read with libavformat, probed, given a poster and transcoded
// to an H.264 ladder and AAC audio for the packager. Every call blocks: run
// it on a job thread.
namespace looplive::transcode {

struct FileOptions {
  // Reading an http(s) source: give up when no byte arrives for this long.
  std::chrono::milliseconds io_timeout{15'000};
  // Called often while reading; returning true aborts the call (job
  // cancelled): the call then fails with an Error whose message is
  // "cancelled" (core/error.hpp has no code for it).
  std::function<bool()> cancelled;
};

struct FileProbe {
  double duration_seconds = 0;
  uint64_t bit_rate = 0;    // bits per second of the whole file; 0 unknown
  std::string format;       // libavformat's short name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
  std::string video_codec;  // libavcodec name, e.g. "h264", "vp9"
  // Displayed size: the width scaled by the pixel aspect ratio, even, then
  // turned upright (a portrait phone video is taller than wide).
  uint16_t width = 0, height = 0;
  // Degrees clockwise the stored pictures are turned to be shown (the
  // display matrix phones write): 0, 90, 180 or 270. Rungs and posters are
  // made upright.
  int rotation = 0;
  double frame_rate = 0;
  std::string audio_codec;  // empty: no audio
  uint32_t sample_rate = 0;
  uint8_t channels = 0;
};

// Errors are precise sentences the API shows to users, e.g. "the file is empty",
// "not a media file (Invalid data found when processing input)", "no video stream (audio only)",
// "cannot open https://…: Connection timed out", "the video's length is unknown".
// An http(s) source that cannot be reached or stops mid-way fails with
// core::ErrorCode::unavailable (worth retrying), anything else with invalid.
core::Result<FileProbe> probe_file(const std::string& source, const FileOptions& options);

// A JPEG of the first picture at or after `at_seconds` (the last picture when
// the video ends before), scaled to at most `max_width` pixels wide (aspect
// kept, even sizes).
core::Result<std::string> poster_jpeg(const std::string& source, double at_seconds, int max_width,
                                      const FileOptions& options);

struct FileTranscodeOptions {
  FileOptions file;
  // Heights wanted, largest first after sorting; those above the source's
  // height are left out; none left: one rung at the source's height (even,
  // capped to 1080) with the usual bitrate for that height. At most 4. For
  // a portrait video, "height" is the width (the shorter side, as quality
  // names go: its 1080p rung is 1080x1920).
  std::vector<core::Rung> rungs;
  std::string encoder = "libx264";
  std::string preset = "veryfast";
  uint32_t threads = 2;                 // per encoder/decoder thread_count
  std::chrono::milliseconds gop{2000};  // a keyframe on every rung at the first picture at or
                                        // after each multiple of this
  uint64_t audio_bitrate = 128'000;
  // 0..1 by media time read, called at most a few times a second.
  std::function<void(double fraction_done)> progress;
};

// What transcode_file produced (for the job's figures).
struct FileTranscodeResult {
  std::vector<core::TrackInfo> tracks;
  double media_seconds = 0;
  uint64_t video_frames = 0;
};

// Decodes the file once and encodes every rung from each picture: video
// tracks 0, 1, ... (rendition 0 the largest), keyframes on the same
// pictures on every rung; the audio, if any, re-encoded to AAC-LC as an audio
// track of rendition 0; every track timed in milliseconds, as RTMP is (the
// packager's unit). Calls sink.on_track for
// every track before any packet, then on_packet in non-decreasing time order
// across tracks (times start near 0), then
// sink.finish(core::EndReason::publisher_closed). On failure after the tracks
// were announced, the sink gets finish(protocol_error) (cancelled: shutdown)
// instead, so whatever it wrote can be thrown away. Fails with a precise
// sentence on truncated media ("the file is truncated: its media stops at
// 3.2 s of 10.0 s"), decode errors that leave no picture, cancellation.
core::Result<FileTranscodeResult> transcode_file(const std::string& source,
                                                 const FileTranscodeOptions& options,
                                                 core::PacketSink& sink);

}  // namespace looplive::transcode
