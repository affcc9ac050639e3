// Feeds arbitrary bytes to the FLV tag reader as a sequence of audio and
// video tag bodies (so configurations and the frames after them meet), and to
// each codec configuration parser directly. Nothing may crash or leak; a
// track the reader accepts must be one a packager can use.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "looplive/media/codec_config.hpp"
#include "looplive/media/flv_tag_reader.hpp"

namespace media = looplive::media;
namespace core = looplive::core;
namespace codec = looplive::media;

namespace {

void expect(bool condition) {
  if (!condition) std::abort();
}

void check_track(const core::TrackInfo& track) {
  expect(!track.codec_string.empty());
  if (track.kind == core::MediaKind::audio) expect(track.sample_rate > 0);
}

// [kind: even = video, odd = audio][length: 2 bytes][body] ... until the input ends.
void demux(std::span<const uint8_t> input) {
  media::FlvTagReader reader;
  int64_t timestamp = 0;
  while (input.size() >= 3) {
    const bool video = input[0] % 2 == 0;
    const size_t length = std::min<size_t>((size_t{input[1]} << 8) | input[2], input.size() - 3);
    const core::SharedBytes body = core::SharedBytes::copy_of(input.subspan(3, length));
    input = input.subspan(3 + length);
    auto out = video ? reader.video(timestamp, body) : reader.audio(timestamp, body);
    timestamp += 33;
    if (!out) {
      expect(!out.error().message.empty());
      continue;
    }
    if (out->track) check_track(*out->track);
    if (out->packet) expect(out->packet->track <= 1 && !out->packet->payload.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::span<const uint8_t> rest(data + 1, size - 1);
  switch (data[0] % 6) {
    case 0:
    case 1:
      demux(rest);
      break;
    case 2:
      (void)codec::parse_avcc(rest);
      (void)codec::parse_h264_sps(rest);
      break;
    case 3:
      (void)codec::parse_hvcc(rest);
      break;
    case 4:
      (void)codec::parse_av1c(rest);
      break;
    default:
      (void)codec::parse_audio_specific_config(rest);
      break;
  }
  return 0;
}
