#include "looplive/media/stream_files.hpp"

#include <catch2/catch.hpp>

using looplive::core::MediaKind;
using looplive::core::TrackKey;
namespace files = looplive::media::files;

TEST_CASE("a track's file names follow its kind and rendition", "[media]") {
  const TrackKey video{MediaKind::video, 0};
  const TrackKey audio{MediaKind::audio, 0};
  const TrackKey rung{MediaKind::video, 2};
  CHECK(files::track_prefix(video) == "v");
  CHECK(files::track_prefix(audio) == "a");
  CHECK(files::track_prefix(rung) == "v2");
  CHECK(files::media_playlist(video) == "video.m3u8");
  CHECK(files::media_playlist(rung) == "video_2.m3u8");
  CHECK(files::recording_index(audio) == "recording_audio.m3u8");
  CHECK(files::recording_index(rung) == "recording_video_2.m3u8");
  CHECK(files::vod_media_playlist("id", rung) == "id_video_2.m3u8");
  CHECK(files::segment(files::track_prefix(rung), 12) == "v2_12.m4s");
  // A rendition's init segments count their configurations like the source's.
  CHECK(files::init_segment(files::track_prefix(rung), 0) == "init_v2.mp4");
  CHECK(files::init_segment_configuration("init_v2.mp4") == 0);
  CHECK(files::init_segment_configuration(files::init_segment("v2", 3)) == 3);
  CHECK(files::init_segment_configuration("init_v_1.mp4") == 1);
  CHECK(files::is_recording_index("recording_video_2.m3u8"));
  CHECK_FALSE(files::is_recording_index("video_2.m3u8"));
  CHECK_FALSE(files::is_recording_index(".recording_video.m3u8.tmp"));
}
