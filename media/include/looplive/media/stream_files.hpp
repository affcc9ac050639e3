#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "looplive/core/media_types.hpp"
#include "looplive/core/result.hpp"

// The names of a stream's files and where they lie under the media root: the
// one description of the layout, which is also the URL layout the origin
// serves (a path under the media root is a path under the origin).
//
//   live/<id>/init_v.mp4, init_a.mp4   init segments; init_v_1.mp4 ... after a
//                                      codec change (with a discontinuity)
//   (track prefixes: v and a for what the publisher sent, v<r> and a<r> for
//   rendition r of a ladder: init_v1.mp4, v1_12.m4s, video_1.m3u8)
//   live/<id>/v_<n>.m4s, a_<n>.m4s     media segments, n from 1 (the live MPD
//                                      names each v_<epoch>_t<start ms>.m4s)
//   live/<id>/v_<n>_p<i>.m4s           LL-HLS parts, in memory only
//   live/<id>/video.m3u8, audio.m3u8   media playlists over the live window
//   live/<id>/index.m3u8               multivariant playlist
//   live/<id>/manifest.mpd             MPD: dynamic, static once the stream ended
//   live/<id>/thumbnail.jpg            latest preview still
//   live/<id>/recording_video.m3u8,    recorded streams: every completed segment,
//             recording_audio.m3u8     for crash recovery
//   vods/<id>.m3u8                     recorded streams: multivariant playlist
//   vods/<id>_video.m3u8, _audio.m3u8  recorded streams: VOD media playlists,
//                                      pointing into ../live/<id>/
//   vods/<id>.mpd                      recorded streams: static MPD
//   vods/<id>.mp4                      recorded streams: the whole show
//   vods/<job id>/                     a packaged upload (a VOD job), whole:
//                                      index.m3u8, video.m3u8, video_1.m3u8 ...,
//                                      audio.m3u8, manifest.mpd, init and media
//                                      segments named as in live/, download.mp4
//                                      (the top rendition) and poster.jpg
//   vod-work/live/<job id>/            a VOD job's files while it runs; moved
//                                      to vods/<job id>/ in one step when done
namespace looplive::media::files {

inline constexpr std::string_view kLiveDir = "live";
inline constexpr std::string_view kVodsDir = "vods";
inline constexpr std::string_view kMultivariantPlaylist = "index.m3u8";
inline constexpr std::string_view kManifest = "manifest.mpd";
inline constexpr std::string_view kThumbnail = "thumbnail.jpg";
inline constexpr std::string_view kDownload = "download.mp4";
inline constexpr std::string_view kPoster = "poster.jpg";
inline constexpr std::string_view kVodWorkDir = "vod-work";

// What a track's files start with: "v" for video, "a" for audio, followed
// by the rendition number from rendition 1 on ("v1").
std::string track_prefix(core::TrackKey track);
// The prefix of the live MPD's time-addressed names: "v_<epoch>". The epoch
// changes with every start of the process, so a name is never reused with
// other bytes.
std::string timed_prefix(std::string_view prefix, uint64_t epoch);

std::string init_segment(std::string_view prefix,
                         uint64_t configuration);  // init_v.mp4, init_v_1.mp4
// Which configuration an init segment's name counts: 0 for init_v.mp4, 1 for init_v_1.mp4.
uint64_t init_segment_configuration(std::string_view name);
std::string segment(std::string_view prefix, uint64_t number);                       // v_12.m4s
std::string part(std::string_view prefix, uint64_t segment_number, uint32_t index);  // v_12_p3.m4s
std::string timed_segment(std::string_view timed_prefix, int64_t start_ms);  // v_<epoch>_t24000.m4s
// A DASH SegmentTemplate@media: v_<epoch>_t$Time$.m4s, or v_$Number$.m4s.
std::string segment_template(std::string_view prefix, bool by_time);

std::string media_playlist(core::TrackKey track);   // video.m3u8, video_1.m3u8
std::string recording_index(core::TrackKey track);  // recording_video.m3u8
// Whether a live directory's file is a recording index (of any track).
bool is_recording_index(std::string_view name);

std::filesystem::path live_dir(const std::filesystem::path& media_root, std::string_view id);
std::filesystem::path vods_dir(const std::filesystem::path& media_root);
std::filesystem::path vod_job_dir(const std::filesystem::path& media_root, std::string_view job_id);
// Where VOD jobs package: the media root of their own packager.
std::filesystem::path vod_work_root(const std::filesystem::path& media_root);
// URL paths relative to the media root (and the origin's root).
std::string live_path(std::string_view id, std::string_view file);         // live/<id>/<file>
std::string vod_path(std::string_view file);                               // vods/<file>
std::string vod_job_path(std::string_view job_id, std::string_view file);  // vods/<job>/<file>

// The VOD files of a stream, in vods/.
std::string vod_multivariant(std::string_view id);                          // <id>.m3u8
std::string vod_media_playlist(std::string_view id, core::TrackKey track);  // <id>_video.m3u8
std::string vod_manifest(std::string_view id);                              // <id>.mpd
std::string vod_mp4(std::string_view id);                                   // <id>.mp4
// How a VOD file reaches the recorded segments: "../live/<id>/".
std::string vod_to_live(std::string_view id);
// Whether a name in vods/ belongs to the stream `id` (its temporary files included).
bool is_vod_file_of(std::string_view name, std::string_view id);

// Deletes a stream's media: its live directory and its VOD files. Ids are
// fixed-length UUIDs, so one stream's names never start another's.
core::Result<core::Ok> remove_stream(const std::filesystem::path& media_root, std::string_view id);

}  // namespace looplive::media::files
