#include <catch2/catch.hpp>

#include <cstdint>
#include <initializer_list>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "codec_records.hpp"
#include "looplive/media/flv_tag_reader.hpp"

using looplive::core::Codec;
using looplive::core::MediaKind;
using looplive::core::SharedBytes;
using looplive::media::FlvTagReader;

using namespace looplive::media::test_records;

namespace {

// Tag bodies from an FLV written by the installed ffmpeg 5.1:
// ffmpeg -f lavfi -i testsrc2=size=1280x720:rate=30 -f lavfi -i sine=sample_rate=44100 -t 1
//   -c:v libx264 -profile:v high -level 3.1 -pix_fmt yuv420p -bf 2 -c:a aac -ac 2 clip.flv
// First video tag: key frame, AVC sequence header, avcC.
const std::vector<uint8_t> kFlvAvcSequenceHeader = {
    0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x1a,
    0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb, 0x01, 0x10, 0x00,
    0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1, 0x83, 0x19, 0x60,
    0x01, 0x00, 0x06, 0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0, 0xfd, 0xf8, 0xf8, 0x00,
};

// First audio tag: AAC 44.1 kHz stereo, AudioSpecificConfig.
const std::vector<uint8_t> kFlvAacSequenceHeader = {
    0xaf, 0x00, 0x12, 0x10, 0x56, 0xe5, 0x00,
};

// Access units in AVCC form: an SEI then an IDR slice, and a lone non-IDR slice.
const std::vector<uint8_t> kIdrAccessUnit = {0, 0, 0, 3,    0x06, 0x05, 0x80, 0,
                                             0, 0, 4, 0x65, 0x88, 0x84, 0x00};
const std::vector<uint8_t> kInterAccessUnit = {0, 0, 0, 3, 0x41, 0x9A, 0x00};
// HEVC: an IDR_W_RADL slice, and a TRAIL_R slice.
const std::vector<uint8_t> kHevcIdrAccessUnit = {0, 0, 0, 4, 0x26, 0x01, 0xAF, 0x00};
const std::vector<uint8_t> kHevcInterAccessUnit = {0, 0, 0, 4, 0x02, 0x01, 0xD0, 0x00};
// AV1: a temporal delimiter OBU then a frame OBU in low-overhead form.
const std::vector<uint8_t> kAv1TemporalUnit = {0x12, 0x00, 0x32, 0x03, 0x10, 0x00, 0x80};

SharedBytes tag(std::initializer_list<uint8_t> header, const std::vector<uint8_t>& body = {}) {
  std::vector<uint8_t> bytes(header);
  bytes.insert(bytes.end(), body.begin(), body.end());
  return SharedBytes(std::move(bytes));
}

SharedBytes tag(const std::vector<uint8_t>& bytes) {
  return SharedBytes::copy_of(bytes);
}

// Enhanced RTMP video header: isExVideoHeader, frame type, packet type, FourCC.
SharedBytes ex_video(int frame_type, int packet_type, const char* fourcc,
                     std::initializer_list<uint8_t> extra, const std::vector<uint8_t>& body) {
  std::vector<uint8_t> bytes = {static_cast<uint8_t>(0x80 | frame_type << 4 | packet_type)};
  bytes.insert(bytes.end(), fourcc, fourcc + 4);
  bytes.insert(bytes.end(), extra);
  bytes.insert(bytes.end(), body.begin(), body.end());
  return SharedBytes(std::move(bytes));
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// An accepted tag carries exactly one of a track, a packet or a reason.
bool well_formed(const FlvTagReader::Output& out) {
  return int(out.track.has_value()) + int(out.packet.has_value()) + int(!out.ignored.empty()) == 1;
}

// Rejected: an error, or accepted with nothing but a reason.
bool rejected(const looplive::core::Result<FlvTagReader::Output>& result) {
  return !result.ok() || (!result->track && !result->packet && !result->ignored.empty());
}

SharedBytes prefix(const SharedBytes& bytes, size_t length) {
  return SharedBytes::copy_of(bytes.span().first(length));
}

}  // namespace

// ---- Legacy video ----

TEST_CASE("legacy AVC sequence header from an ffmpeg FLV becomes a video track", "[flv]") {
  FlvTagReader reader;
  auto payload = tag(kFlvAvcSequenceHeader);
  auto out = reader.video(0, payload);
  REQUIRE(out.ok());
  REQUIRE(out->track);
  CHECK_FALSE(out->packet);
  CHECK(out->ignored.empty());
  const auto& track = *out->track;
  CHECK(track.index == looplive::core::kVideoTrack);
  CHECK(track.kind == MediaKind::video);
  CHECK(track.codec == Codec::h264);
  CHECK(track.timescale == 1000);
  CHECK(track.codec_string == "avc1.64001f");
  CHECK(track.width == 1280);
  CHECK(track.height == 720);
  CHECK(track.frame_rate == Approx(30.0));
  // The avcC is a view of the payload, not a copy.
  CHECK(track.codec_config.data() == payload.data() + 5);
  CHECK(track.codec_config.size() == payload.size() - 5);
}

TEST_CASE("legacy AVC frames carry dts, pts and the key frame flag", "[flv]") {
  FlvTagReader reader;
  REQUIRE(reader.video(0, tag(kFlvAvcSequenceHeader)).ok());

  // The clip's first key frame has a composition offset of 67 ms.
  auto key = tag({0x17, 0x01, 0x00, 0x00, 0x43}, kIdrAccessUnit);
  auto out = reader.video(1000, key);
  REQUIRE(out.ok());
  REQUIRE(out->packet);
  CHECK_FALSE(out->track);
  const auto& packet = *out->packet;
  CHECK(packet.track == looplive::core::kVideoTrack);
  CHECK(packet.dts == 1000);
  CHECK(packet.pts == 1067);
  CHECK(packet.keyframe);
  CHECK(packet.payload.data() == key.data() + 5);
  CHECK(packet.payload.size() == kIdrAccessUnit.size());

  auto inter = reader.video(1034, tag({0x27, 0x01, 0x00, 0x00, 0x42}, kInterAccessUnit));
  REQUIRE(inter.ok());
  REQUIRE(inter->packet);
  CHECK_FALSE(inter->packet->keyframe);
  CHECK(inter->packet->pts == 1100);
}

TEST_CASE("legacy AVC composition offsets are signed", "[flv]") {
  FlvTagReader reader;
  REQUIRE(reader.video(0, tag(kFlvAvcSequenceHeader)).ok());

  auto minus_33 = reader.video(1000, tag({0x27, 0x01, 0xFF, 0xFF, 0xDF}, kInterAccessUnit));
  REQUIRE(minus_33.ok());
  REQUIRE(minus_33->packet);
  CHECK(minus_33->packet->dts == 1000);
  CHECK(minus_33->packet->pts == 967);

  auto most_negative =
      reader.video(10'000'000, tag({0x27, 0x01, 0x80, 0x00, 0x00}, kInterAccessUnit));
  REQUIRE(most_negative.ok());
  REQUIRE(most_negative->packet);
  CHECK(most_negative->packet->pts == 10'000'000 - 8'388'608);

  auto most_positive = reader.video(0, tag({0x27, 0x01, 0x7F, 0xFF, 0xFF}, kInterAccessUnit));
  REQUIRE(most_positive.ok());
  REQUIRE(most_positive->packet);
  CHECK(most_positive->packet->pts == 8'388'607);
}

TEST_CASE("a resent sequence header is not a change, a different one is", "[flv]") {
  FlvTagReader reader;
  REQUIRE(reader.video(0, tag(kFlvAvcSequenceHeader))->track);

  // Same bytes in another buffer, as after an encoder reconnect or a keyframe resend.
  auto again = reader.video(5000, tag(kFlvAvcSequenceHeader));
  REQUIRE(again.ok());
  CHECK_FALSE(again->track);
  CHECK_FALSE(again->packet);
  CHECK_FALSE(again->ignored.empty());

  auto changed = reader.video(6000, tag({0x17, 0x00, 0x00, 0x00, 0x00}, kAvcc1080p));
  REQUIRE(changed.ok());
  REQUIRE(changed->track);
  CHECK(changed->track->width == 1920);
  CHECK(changed->track->height == 1080);
  CHECK(changed->track->codec_string == "avc1.640028");

  // Going back is a change again.
  auto back = reader.video(7000, tag(kFlvAvcSequenceHeader));
  REQUIRE(back.ok());
  REQUIRE(back->track);
  CHECK(back->track->width == 1280);
}

TEST_CASE("video frames before any sequence header are ignored", "[flv]") {
  FlvTagReader reader;
  auto out = reader.video(0, tag({0x17, 0x01, 0x00, 0x00, 0x00}, kIdrAccessUnit));
  REQUIRE(out.ok());
  CHECK_FALSE(out->packet);
  CHECK(contains(out->ignored, "sequence header"));
}

TEST_CASE("empty video, end of sequence and command frames are ignored", "[flv]") {
  FlvTagReader reader;
  REQUIRE(reader.video(0, tag(kFlvAvcSequenceHeader)).ok());

  auto empty_tag = reader.video(0, SharedBytes());
  REQUIRE(empty_tag.ok());
  CHECK(contains(empty_tag->ignored, "empty"));

  auto empty_frame = reader.video(0, tag({0x27, 0x01, 0x00, 0x00, 0x00}));
  REQUIRE(empty_frame.ok());
  CHECK_FALSE(empty_frame->packet);
  CHECK(contains(empty_frame->ignored, "empty"));

  auto end = reader.video(0, tag({0x17, 0x02, 0x00, 0x00, 0x00}));
  REQUIRE(end.ok());
  CHECK(contains(end->ignored, "end of sequence"));

  auto command = reader.video(0, tag({0x57, 0x00}));
  REQUIRE(command.ok());
  CHECK(contains(command->ignored, "command"));
}

TEST_CASE("unsupported legacy video codecs are ignored with the codec named", "[flv]") {
  FlvTagReader reader;
  auto h263 = reader.video(0, tag({0x12, 0x00, 0x84, 0x00}));
  REQUIRE(h263.ok());
  CHECK(contains(h263->ignored, "H.263"));
  auto vp6 = reader.video(0, tag({0x14, 0x00, 0x00}));
  REQUIRE(vp6.ok());
  CHECK(contains(vp6->ignored, "VP6"));
  auto screen = reader.video(0, tag({0x13}));
  REQUIRE(screen.ok());
  CHECK(contains(screen->ignored, "Screen"));
}

TEST_CASE("malformed legacy AVC tags are errors", "[flv]") {
  FlvTagReader reader;
  CHECK_FALSE(reader.video(0, tag({0x17, 0x01, 0x00, 0x00})).ok());
  CHECK_FALSE(reader.video(0, tag({0x17, 0x03, 0x00, 0x00, 0x00}, kInterAccessUnit)).ok());
  auto empty_record = reader.video(0, tag({0x17, 0x00, 0x00, 0x00, 0x00}));
  REQUIRE_FALSE(empty_record.ok());
  auto broken = kAvcc1080p;
  broken[0] = 0x02;
  auto bad_version = reader.video(0, tag({0x17, 0x00, 0x00, 0x00, 0x00}, broken));
  REQUIRE_FALSE(bad_version.ok());
  CHECK(bad_version.error().message.rfind("flv: avcC:", 0) == 0);
}

TEST_CASE("legacy codec id 12 carries HEVC in the AVC layout", "[flv]") {
  FlvTagReader reader;
  auto out = reader.video(0, tag({0x1C, 0x00, 0x00, 0x00, 0x00}, kHvcc1918));
  REQUIRE(out.ok());
  REQUIRE(out->track);
  CHECK(out->track->codec == Codec::hevc);
  CHECK(out->track->codec_string == "hvc1.1.6.L120.90");
  auto frame = reader.video(40, tag({0x1C, 0x01, 0x00, 0x00, 0x21}, kHevcIdrAccessUnit));
  REQUIRE(frame.ok());
  REQUIRE(frame->packet);
  CHECK(frame->packet->pts == 73);
  CHECK(frame->packet->keyframe);
}

TEST_CASE("frames flagged inter that hold an IDR picture are key frames", "[flv]") {
  FlvTagReader avc;
  REQUIRE(avc.video(0, tag(kFlvAvcSequenceHeader)).ok());
  auto idr = avc.video(0, tag({0x27, 0x01, 0x00, 0x00, 0x00}, kIdrAccessUnit));
  REQUIRE(idr.ok());
  REQUIRE(idr->packet);
  CHECK(idr->packet->keyframe);
  auto inter = avc.video(0, tag({0x27, 0x01, 0x00, 0x00, 0x00}, kInterAccessUnit));
  REQUIRE(inter.ok());
  REQUIRE(inter->packet);
  CHECK_FALSE(inter->packet->keyframe);

  FlvTagReader hevc;
  REQUIRE(hevc.video(0, ex_video(1, 0, "hvc1", {}, kHvcc1918)).ok());
  auto irap = hevc.video(0, ex_video(2, 3, "hvc1", {}, kHevcIdrAccessUnit));
  REQUIRE(irap.ok());
  REQUIRE(irap->packet);
  CHECK(irap->packet->keyframe);
  auto trail = hevc.video(0, ex_video(2, 3, "hvc1", {}, kHevcInterAccessUnit));
  REQUIRE(trail.ok());
  REQUIRE(trail->packet);
  CHECK_FALSE(trail->packet->keyframe);
}

// ---- Enhanced RTMP video ----

TEST_CASE("enhanced hvc1 sequence start and coded frames", "[flv]") {
  FlvTagReader reader;
  auto start = ex_video(1, 0, "hvc1", {}, kHvcc1918);
  auto out = reader.video(0, start);
  REQUIRE(out.ok());
  REQUIRE(out->track);
  CHECK(out->track->codec == Codec::hevc);
  CHECK(out->track->kind == MediaKind::video);
  CHECK(out->track->index == looplive::core::kVideoTrack);
  CHECK(out->track->width == 1918);
  CHECK(out->track->height == 1078);
  CHECK(out->track->codec_string == "hvc1.1.6.L120.90");
  CHECK(out->track->codec_config.data() == start.data() + 5);
  CHECK(out->track->codec_config.size() == kHvcc1918.size());

  // CodedFrames: SI24 composition offset of -40 ms.
  auto coded = ex_video(1, 1, "hvc1", {0xFF, 0xFF, 0xD8}, kHevcIdrAccessUnit);
  auto frame = reader.video(2000, coded);
  REQUIRE(frame.ok());
  REQUIRE(frame->packet);
  CHECK(frame->packet->dts == 2000);
  CHECK(frame->packet->pts == 1960);
  CHECK(frame->packet->keyframe);
  CHECK(frame->packet->payload.data() == coded.data() + 8);
  CHECK(frame->packet->payload.size() == kHevcIdrAccessUnit.size());

  // CodedFramesX: no offset on the wire.
  auto coded_x = ex_video(2, 3, "hvc1", {}, kHevcInterAccessUnit);
  auto frame_x = reader.video(2033, coded_x);
  REQUIRE(frame_x.ok());
  REQUIRE(frame_x->packet);
  CHECK(frame_x->packet->pts == 2033);
  CHECK_FALSE(frame_x->packet->keyframe);
  CHECK(frame_x->packet->payload.data() == coded_x.data() + 5);
}

TEST_CASE("enhanced av01 sequence start and coded frames without composition offset", "[flv]") {
  FlvTagReader reader;
  auto out = reader.video(0, ex_video(1, 0, "av01", {}, kAv1cAom));
  REQUIRE(out.ok());
  REQUIRE(out->track);
  CHECK(out->track->codec == Codec::av1);
  CHECK(out->track->width == 1280);
  CHECK(out->track->height == 720);
  CHECK(out->track->codec_string == "av01.0.05M.08");

  auto coded = ex_video(1, 1, "av01", {}, kAv1TemporalUnit);
  auto frame = reader.video(100, coded);
  REQUIRE(frame.ok());
  REQUIRE(frame->packet);
  CHECK(frame->packet->pts == 100);
  CHECK(frame->packet->dts == 100);
  CHECK(frame->packet->keyframe);
  CHECK(frame->packet->payload.data() == coded.data() + 5);
  CHECK(frame->packet->payload.size() == kAv1TemporalUnit.size());

  auto inter = reader.video(133, ex_video(2, 3, "av01", {}, kAv1TemporalUnit));
  REQUIRE(inter.ok());
  REQUIRE(inter->packet);
  CHECK_FALSE(inter->packet->keyframe);
}

TEST_CASE("enhanced avc1 shares the H.264 track with legacy tags", "[flv]") {
  FlvTagReader reader;
  auto out = reader.video(0, ex_video(1, 0, "avc1", {}, kAvcc1080p));
  REQUIRE(out.ok());
  REQUIRE(out->track);
  CHECK(out->track->codec == Codec::h264);
  CHECK(out->track->height == 1080);

  auto frame = reader.video(500, ex_video(1, 1, "avc1", {0x00, 0x00, 0x50}, kIdrAccessUnit));
  REQUIRE(frame.ok());
  REQUIRE(frame->packet);
  CHECK(frame->packet->pts == 580);

  // The same avcC sent the legacy way is not a change.
  auto legacy = reader.video(600, tag({0x17, 0x00, 0x00, 0x00, 0x00}, kAvcc1080p));
  REQUIRE(legacy.ok());
  CHECK_FALSE(legacy->track);
  auto legacy_frame = reader.video(600, tag({0x27, 0x01, 0x00, 0x00, 0x00}, kInterAccessUnit));
  REQUIRE(legacy_frame.ok());
  CHECK(legacy_frame->packet);
}

TEST_CASE("enhanced tags without a coded frame are ignored with a reason", "[flv]") {
  FlvTagReader reader;
  REQUIRE(reader.video(0, ex_video(1, 0, "hvc1", {}, kHvcc1918)).ok());

  struct Case {
    const char* name;
    SharedBytes payload;
    const char* reason;
  };
  const std::vector<Case> cases = {
      {"vp09", ex_video(1, 0, "vp09", {}, {0x01, 0x00, 0x00, 0x00}), "'vp09'"},
      {"metadata", ex_video(0, 4, "hvc1", {}, {0x02, 0x00, 0x09, 'c', 'o', 'l', 'o', 'r'}),
       "metadata"},
      {"sequence end", ex_video(0, 2, "hvc1", {}, {}), "end of sequence"},
      {"MPEG-2 TS start", ex_video(1, 5, "av01", {}, {0x80}), "MPEG-2 TS"},
      {"multitrack", tag({0x96, 0x00, 'h', 'v', 'c', '1', 0x00}), "multitrack"},
      {"command", tag({0xD1, 0x00}), "command"},
      {"reserved packet type", ex_video(1, 9, "hvc1", {}, {0x00}), "packet type 9"},
      {"codec mismatch", ex_video(1, 1, "avc1", {0, 0, 0}, kIdrAccessUnit), "h264 frame"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto out = reader.video(0, c.payload);
    REQUIRE(out.ok());
    CHECK_FALSE(out->packet);
    CHECK_FALSE(out->track);
    CHECK(contains(out->ignored, c.reason));
  }
}

TEST_CASE("enhanced ModEx entries before the FourCC are skipped", "[flv]") {
  FlvTagReader reader;
  REQUIRE(reader.video(0, ex_video(1, 0, "hvc1", {}, kHvcc1918)).ok());

  // ModEx with 3 bytes of TimestampOffsetNano, then CodedFrames.
  auto small = tag({0x97, 0x02, 0x01, 0x02, 0x03, 0x01, 'h', 'v', 'c', '1', 0x00, 0x00, 0x0A},
                   kHevcIdrAccessUnit);
  auto out = reader.video(1000, small);
  REQUIRE(out.ok());
  REQUIRE(out->packet);
  CHECK(out->packet->pts == 1010);
  CHECK(out->packet->payload.data() == small.data() + 13);

  // A 300-byte ModEx uses the 16-bit size escape, then CodedFramesX.
  std::vector<uint8_t> big = {0x97, 0xFF, 0x01, 0x2B};
  big.insert(big.end(), 300, 0xEE);
  big.insert(big.end(), {0x03, 'h', 'v', 'c', '1'});
  big.insert(big.end(), kHevcInterAccessUnit.begin(), kHevcInterAccessUnit.end());
  auto big_out = reader.video(2000, tag(big));
  REQUIRE(big_out.ok());
  REQUIRE(big_out->packet);
  CHECK(big_out->packet->pts == 2000);
  CHECK(big_out->packet->payload.size() == kHevcInterAccessUnit.size());

  CHECK_FALSE(reader.video(0, tag({0x97, 0x05, 0x01})).ok());
}

// ---- Metadata ----

TEST_CASE("metadata hints fill in what the configuration record lacks", "[flv]") {
  FlvTagReader reader;
  reader.hints({1280, 720, 29.97});
  // An av1C without configOBUs says nothing about the picture.
  std::vector<uint8_t> bare(kAv1cAom.begin(), kAv1cAom.begin() + 4);
  auto out = reader.video(0, ex_video(1, 0, "av01", {}, bare));
  REQUIRE(out.ok());
  REQUIRE(out->track);
  CHECK(out->track->width == 1280);
  CHECK(out->track->height == 720);
  CHECK(out->track->frame_rate == Approx(29.97));

  // x265 leaves avgFrameRate unset; the bitstream's size still wins over the hints.
  FlvTagReader hevc;
  hevc.hints({640, 360, 50});
  auto hevc_out = hevc.video(0, ex_video(1, 0, "hvc1", {}, kHvcc1918));
  REQUIRE(hevc_out.ok());
  REQUIRE(hevc_out->track);
  CHECK(hevc_out->track->width == 1918);
  CHECK(hevc_out->track->frame_rate == Approx(50.0));
}

// ---- Audio ----

TEST_CASE("AAC sequence header from an ffmpeg FLV becomes an audio track", "[flv]") {
  FlvTagReader reader;
  auto payload = tag(kFlvAacSequenceHeader);
  auto out = reader.audio(0, payload);
  REQUIRE(out.ok());
  REQUIRE(out->track);
  const auto& track = *out->track;
  CHECK(track.index == looplive::core::kAudioTrack);
  CHECK(track.kind == MediaKind::audio);
  CHECK(track.codec == Codec::aac);
  CHECK(track.timescale == 1000);
  CHECK(track.sample_rate == 44100);
  CHECK(track.channels == 2);
  CHECK(track.codec_string == "mp4a.40.2");
  CHECK(track.codec_config.data() == payload.data() + 2);
  CHECK(track.codec_config.size() == 5);
}

TEST_CASE("raw AAC frames become key frame packets with pts equal to dts", "[flv]") {
  FlvTagReader reader;
  REQUIRE(reader.audio(0, tag(kFlvAacSequenceHeader)).ok());
  auto frame = tag({0xAF, 0x01, 0x21, 0x10, 0x04, 0x60, 0x8C, 0x1C});
  auto out = reader.audio(23, frame);
  REQUIRE(out.ok());
  REQUIRE(out->packet);
  CHECK(out->packet->track == looplive::core::kAudioTrack);
  CHECK(out->packet->dts == 23);
  CHECK(out->packet->pts == 23);
  CHECK(out->packet->keyframe);
  CHECK(out->packet->payload.data() == frame.data() + 2);
  CHECK(out->packet->payload.size() == 6);
}

TEST_CASE("a resent AudioSpecificConfig is not a change, a different one is", "[flv]") {
  FlvTagReader reader;
  REQUIRE(reader.audio(0, tag(kFlvAacSequenceHeader))->track);
  auto again = reader.audio(10, tag(kFlvAacSequenceHeader));
  REQUIRE(again.ok());
  CHECK_FALSE(again->track);
  CHECK_FALSE(again->ignored.empty());
  auto changed = reader.audio(20, tag({0xAF, 0x00}, kAsc48kStereo));
  REQUIRE(changed.ok());
  REQUIRE(changed->track);
  CHECK(changed->track->sample_rate == 48000);
}

TEST_CASE("audio that is not AAC is ignored with the format named", "[flv]") {
  FlvTagReader reader;
  const std::vector<std::pair<uint8_t, const char*>> formats = {
      {0x2F, "MP3"},          {0xE2, "MP3 8 kHz"},  {0xB6, "Speex"},      {0x72, "G.711 A-law"},
      {0x82, "G.711 mu-law"}, {0x62, "Nellymoser"}, {0x3F, "linear PCM"}, {0x1E, "ADPCM"},
  };
  for (const auto& [first_byte, name] : formats) {
    INFO(name);
    auto out = reader.audio(0, tag({first_byte, 0x00, 0x11, 0x22}));
    REQUIRE(out.ok());
    CHECK_FALSE(out->packet);
    CHECK_FALSE(out->track);
    CHECK(contains(out->ignored, name));
  }
}

TEST_CASE("enhanced audio is ignored with its FourCC named", "[flv]") {
  FlvTagReader reader;
  auto opus = reader.audio(0, tag({0x90, 'O', 'p', 'u', 's', 0x4F, 0x70}));
  REQUIRE(opus.ok());
  CHECK(contains(opus->ignored, "'Opus'"));
  CHECK_FALSE(reader.audio(0, tag({0x90, 'O', 'p'})).ok());
}

TEST_CASE("AAC frames before the config are ignored, broken AAC tags are errors", "[flv]") {
  FlvTagReader reader;
  auto early = reader.audio(0, tag({0xAF, 0x01, 0x21, 0x10}));
  REQUIRE(early.ok());
  CHECK_FALSE(early->packet);
  CHECK(contains(early->ignored, "AudioSpecificConfig"));

  auto empty = reader.audio(0, SharedBytes());
  REQUIRE(empty.ok());
  CHECK(contains(empty->ignored, "empty"));

  CHECK_FALSE(reader.audio(0, tag({0xAF})).ok());
  CHECK_FALSE(reader.audio(0, tag({0xAF, 0x02, 0x00})).ok());
  CHECK_FALSE(reader.audio(0, tag({0xAF, 0x00})).ok());
  CHECK_FALSE(reader.audio(0, tag({0xAF, 0x00, 0x16, 0x90})).ok());

  REQUIRE(reader.audio(0, tag(kFlvAacSequenceHeader)).ok());
  auto empty_frame = reader.audio(0, tag({0xAF, 0x01}));
  REQUIRE(empty_frame.ok());
  CHECK_FALSE(empty_frame->packet);
  CHECK(contains(empty_frame->ignored, "empty"));
}

// ---- Robustness ----

TEST_CASE("truncated sequence headers are rejected at every length", "[flv]") {
  struct Case {
    const char* name;
    SharedBytes payload;
    bool audio;
    // Shorter lengths that still make a whole tag: [valid_from, valid_to], none when 0.
    size_t valid_from;
    size_t valid_to;
  };
  const std::vector<Case> cases = {
      // The avcC's last four bytes are an optional extension.
      {"legacy avcC", tag(kFlvAvcSequenceHeader), false, kFlvAvcSequenceHeader.size() - 4,
       kFlvAvcSequenceHeader.size()},
      {"legacy hvcC", tag({0x1C, 0x00, 0x00, 0x00, 0x00}, kHvcc1918), false, 0, 0},
      {"enhanced hvcC", ex_video(1, 0, "hvc1", {}, kHvcc1918), false, 0, 0},
      {"enhanced avcC", ex_video(1, 0, "avc1", {}, kAvcc1080p), false, 5 + kAvcc1080p.size() - 4,
       5 + kAvcc1080p.size()},
      // Four bytes of av1C are a record without configOBUs.
      {"enhanced av1C", ex_video(1, 0, "av01", {}, kAv1cAom), false, 5 + 4, 5 + 4},
      // Two bytes of AudioSpecificConfig are enough; the rest signals SBR's absence.
      {"AAC", tag(kFlvAacSequenceHeader), true, 4, kFlvAacSequenceHeader.size()},
  };
  for (const auto& c : cases) {
    for (size_t length = 0; length < c.payload.size(); ++length) {
      INFO(c.name << " cut to " << length << " bytes");
      FlvTagReader reader;
      auto cut = prefix(c.payload, length);
      auto out = c.audio ? reader.audio(0, cut) : reader.video(0, cut);
      if (c.valid_from != 0 && length >= c.valid_from && length <= c.valid_to) {
        REQUIRE(out.ok());
        CHECK(out->track);
      } else {
        CHECK(rejected(out));
      }
    }
  }
}

TEST_CASE("truncated frame headers are rejected at every length", "[flv]") {
  struct Case {
    const char* name;
    SharedBytes payload;
    bool audio;
    size_t header;
  };
  // Frames are checked against a video track of their own codec.
  const std::vector<Case> cases = {
      {"legacy AVC", tag({0x17, 0x01, 0x00, 0x00, 0x43}, kIdrAccessUnit), false, 5},
      {"enhanced CodedFrames", ex_video(1, 1, "hvc1", {0x00, 0x00, 0x21}, kHevcIdrAccessUnit),
       false, 8},
      {"enhanced CodedFramesX", ex_video(1, 3, "hvc1", {}, kHevcIdrAccessUnit), false, 5},
      {"ModEx", tag({0x97, 0x00, 0x00, 0x01, 'h', 'v', 'c', '1', 0, 0, 0}, kHevcIdrAccessUnit),
       false, 11},
      {"AAC", tag({0xAF, 0x01, 0x21, 0x10}), true, 2},
  };
  for (const auto& c : cases) {
    FlvTagReader reader;
    auto video_header =
        c.payload[0] == 0x17 ? tag(kFlvAvcSequenceHeader) : ex_video(1, 0, "hvc1", {}, kHvcc1918);
    REQUIRE(reader.video(0, video_header)->track);
    REQUIRE(reader.audio(0, tag(kFlvAacSequenceHeader))->track);
    for (size_t length = 0; length <= c.header; ++length) {
      INFO(c.name << " cut to " << length << " bytes");
      auto cut = prefix(c.payload, length);
      CHECK(rejected(c.audio ? reader.audio(0, cut) : reader.video(0, cut)));
    }
    auto whole = c.audio ? reader.audio(0, c.payload) : reader.video(0, c.payload);
    REQUIRE(whole.ok());
    CHECK(whole->packet);
  }
}

TEST_CASE("corrupted tags give an error or a well-formed output", "[flv]") {
  std::mt19937 random(7);
  const std::vector<SharedBytes> video = {
      tag(kFlvAvcSequenceHeader),
      tag({0x17, 0x01, 0x00, 0x00, 0x43}, kIdrAccessUnit),
      ex_video(1, 0, "hvc1", {}, kHvcc1918),
      ex_video(1, 1, "hvc1", {0xFF, 0xFF, 0xD8}, kHevcIdrAccessUnit),
      ex_video(1, 0, "av01", {}, kAv1cAom),
      tag({0x97, 0x02, 0x01, 0x02, 0x03, 0x01, 'h', 'v', 'c', '1', 0x00, 0x00, 0x0A},
          kHevcIdrAccessUnit),
  };
  const std::vector<SharedBytes> audio = {tag(kFlvAacSequenceHeader),
                                          tag({0xAF, 0x01, 0x21, 0x10, 0x04})};
  auto corrupt = [&](const SharedBytes& original) {
    std::vector<uint8_t> bytes(original.span().begin(), original.span().end());
    int flips = 1 + static_cast<int>(random() % 3);
    for (int i = 0; i < flips; ++i) bytes[random() % bytes.size()] ^= 1u << (random() % 8);
    bytes.resize(random() % (bytes.size() + 1));
    return SharedBytes(std::move(bytes));
  };
  int accepted = 0;
  int well = 0;
  FlvTagReader reader;
  for (int round = 0; round < 500; ++round) {
    for (const auto& payload : video) {
      auto out = reader.video(round, corrupt(payload));
      accepted += out.ok();
      well += out.ok() && well_formed(*out);
    }
    for (const auto& payload : audio) {
      auto out = reader.audio(round, corrupt(payload));
      accepted += out.ok();
      well += out.ok() && well_formed(*out);
    }
  }
  CHECK(accepted > 0);
  CHECK(well == accepted);
}
