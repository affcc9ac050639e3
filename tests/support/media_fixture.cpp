#include "media_fixture.hpp"

#include <stdexcept>
#include <vector>

#include "process.hpp"

namespace looplive::test {

namespace {

long count_packets(const std::string& path, const std::string& stream) {
  std::string out;
  run_command({"ffprobe", "-v", "error", "-select_streams", stream, "-count_packets",
               "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", path},
              &out);
  return std::stol(out);
}

// ffmpeg reading `seconds` of the test pattern (640x360, 30 fps) and a sine
// tone at `sample_rate`; the caller adds the encoding and the output.
std::vector<std::string> test_pattern(int seconds, int sample_rate) {
  return {"ffmpeg",
          "-hide_banner",
          "-loglevel",
          "error",
          "-y",
          "-f",
          "lavfi",
          "-i",
          "testsrc2=size=640x360:rate=30",
          "-f",
          "lavfi",
          "-i",
          "sine=frequency=440:sample_rate=" + std::to_string(sample_rate),
          "-t",
          std::to_string(seconds)};
}

MediaFixture make(int seconds, int gop_frames = 60) {
  MediaFixture fixture;
  fixture.seconds = seconds;
  fixture.path = make_scratch_dir("fixture") + "/h264_aac_" + std::to_string(seconds) + "s_g" +
                 std::to_string(gop_frames) + ".flv";
  std::string out;
  std::vector<std::string> argv = test_pattern(seconds, 48000);
  argv.insert(argv.end(), {"-c:v",
                           "libx264",
                           "-profile:v",
                           "high",
                           "-preset",
                           "veryfast",
                           "-bf",
                           "2",
                           "-g",
                           std::to_string(gop_frames),
                           "-keyint_min",
                           std::to_string(gop_frames),
                           "-sc_threshold",
                           "0",
                           "-pix_fmt",
                           "yuv420p",
                           "-c:a",
                           "aac",
                           "-b:a",
                           "128k",
                           "-ac",
                           "2",
                           "-f",
                           "flv",
                           fixture.path});
  const int status = run_command(argv, &out);
  if (status != 0) throw std::runtime_error("ffmpeg could not make the fixture: " + out);
  fixture.video_frames = count_packets(fixture.path, "v:0");
  fixture.audio_frames = count_packets(fixture.path, "a:0");
  return fixture;
}

}  // namespace

void make_upload(const std::filesystem::path& path, int seconds,
                 const std::vector<std::string>& extra) {
  std::vector<std::string> argv = test_pattern(seconds, 44100);
  argv.insert(argv.end(),
              {"-c:v", "libx264", "-preset", "ultrafast", "-bf", "2", "-g", "45", "-c:a", "aac"});
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(path.string());
  std::string out;
  if (run_command(argv, &out) != 0)
    throw std::runtime_error("ffmpeg could not make the upload: " + out);
}

const MediaFixture& h264_aac_fixture() {
  static const MediaFixture fixture = make(4);
  return fixture;
}

const MediaFixture& long_h264_aac_fixture() {
  static const MediaFixture fixture = make(12);
  return fixture;
}

std::string decode_errors(const std::string& input, int* status, int seconds) {
  std::vector<std::string> argv = {"ffmpeg", "-v", "error", "-nostdin", "-i", input};
  if (seconds > 0) argv.insert(argv.end(), {"-t", std::to_string(seconds)});
  argv.insert(argv.end(), {"-enc_time_base", "-1", "-f", "null", "-"});
  std::string errors;
  *status = run_command(argv, &errors, std::chrono::seconds(120));
  return errors;
}

const MediaFixture& long_gop_h264_aac_fixture() {
  static const MediaFixture fixture = make(14, 90);
  return fixture;
}

}  // namespace looplive::test
