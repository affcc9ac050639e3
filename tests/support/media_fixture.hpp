#pragma once

#include <string>

namespace looplive::test {

// An FLV file made with ffmpeg at test time: H.264 High with B-frames, 2 s
// GOP at 30 fps, AAC 48 kHz stereo. Made once per test executable.
struct MediaFixture {
  std::string path;
  int seconds = 0;
  long video_frames = 0;  // as counted by ffprobe
  long audio_frames = 0;
};

const MediaFixture& h264_aac_fixture();  // 4 s, 640x360
const MediaFixture& long_h264_aac_fixture();  // 12 s, 640x360

}  // namespace looplive::test
