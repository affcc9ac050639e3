#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace looplive::test {

// An FLV file made with ffmpeg at test time: H.264 High with B-frames, 2 s
// GOP at 30 fps, AAC 48 kHz stereo. Made once per test executable.
struct MediaFixture {
  std::string path;
  int seconds = 0;
  long video_frames = 0;  // as counted by ffprobe
  long audio_frames = 0;
};

const MediaFixture& h264_aac_fixture();       // 4 s, 640x360
const MediaFixture& long_h264_aac_fixture();  // 12 s, 640x360
// 14 s, 640x360, keyframes every 3 s: further apart than the 2 s segments.
const MediaFixture& long_gop_h264_aac_fixture();

// An upload as a phone or an editor makes it, at `path`: MP4, H.264 with
// B-frames (640x360, 30 fps, a keyframe every 1.5 s) and AAC, `seconds`
// long; `extra` goes before the output (such as "-movflags +faststart").
void make_upload(const std::filesystem::path& path, int seconds,
                 const std::vector<std::string>& extra = {});

// ffmpeg decodes every frame of `input` (a file or URL; only its first
// `seconds` when that is above zero) and returns what it printed at error
// level, nothing being the goal; `status` gets its exit code. Frames keep the
// input's time base: at ffmpeg's default of one tick per frame, a run resumed
// half a frame off the first run's grid rounds two frame times into one tick
// and reads as a timestamp error although every sample is in order.
std::string decode_errors(const std::string& input, int* status, int seconds = 0);

}  // namespace looplive::test
