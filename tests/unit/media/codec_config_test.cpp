#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "codec_records.hpp"
#include "looplive/media/codec_config.hpp"

using namespace looplive::media;

using namespace looplive::media::test_records;

namespace {

// Configuration records cut out of files made with the installed ffmpeg 5.1
// (libx264 164, libx265 3.5, libaom 3.6, SVT-AV1 1.4.1, native aac encoder).

// ffmpeg -f lavfi -i testsrc2=size=1280x720:rate=30 -t 1 -c:v libx264 -profile:v high -level 3.1
//   -pix_fmt yuv420p h264_720.mp4
const std::vector<uint8_t> kAvcc720p = {
    0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x1a, 0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50,
    0x05, 0xbb, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1, 0x83,
    0x19, 0x60, 0x01, 0x00, 0x06, 0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0, 0xfd, 0xf8, 0xf8, 0x00,
};

// ffmpeg -f lavfi -i testsrc2=size=1278x718:rate=30 -t 1 -c:v libx264 -profile:v high422
//   -pix_fmt yuv422p h264_422.mp4
const std::vector<uint8_t> kAvcc422 = {
    0x01, 0x7a, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x1b, 0x67, 0x7a, 0x00, 0x1f, 0xbc, 0xd9, 0x40, 0x50,
    0x05, 0xbe, 0xaf, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1,
    0x83, 0x19, 0x60, 0x01, 0x00, 0x06, 0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0, 0xfe, 0xf8, 0xf8, 0x00,
};

// ffmpeg -f lavfi -i testsrc2=size=1278x718:rate=30 -t 1 -c:v libx264 -profile:v high444
//   -pix_fmt yuv444p h264_444.mp4
const std::vector<uint8_t> kAvcc444 = {
    0x01, 0xf4, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x1b, 0x67, 0xf4, 0x00, 0x1f, 0x91, 0x9b, 0x28, 0x0a,
    0x00, 0xb7, 0xdd, 0xe0, 0x22, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x03, 0x00, 0x78, 0x1e,
    0x30, 0x63, 0x2c, 0x01, 0x00, 0x06, 0x68, 0xeb, 0xe3, 0xc4, 0x48, 0x44, 0xff, 0xf8, 0xf8, 0x00,
};

// ffmpeg -f lavfi -i testsrc2=size=720x576:rate=25 -t 1 -c:v libx264 -flags +ildct
//   -x264-params interlaced=1 -pix_fmt yuv420p h264_interlaced.mp4
const std::vector<uint8_t> kAvccInterlaced = {
    0x01, 0x64, 0x00, 0x1e, 0xff, 0xe1, 0x00, 0x18, 0x67, 0x64, 0x00, 0x1e, 0xac, 0xd9, 0x40,
    0xb4, 0x24, 0xd8, 0x08, 0x80, 0x00, 0x00, 0x03, 0x00, 0x80, 0x00, 0x00, 0x19, 0x0f, 0x8a,
    0x14, 0xcb, 0x01, 0x00, 0x06, 0x68, 0xfb, 0xa3, 0xcb, 0x22, 0xc0, 0xfd, 0xf8, 0xf8, 0x00,
};

// ffmpeg -f lavfi -i testsrc2=size=1280x720:rate=30 -t 1 -c:v libx265
//   -x265-params log-level=error:info=0 -pix_fmt yuv420p10le -tag:v hvc1 hevc_main10.mp4
const std::vector<uint8_t> kHvccMain10 = {
    0x01, 0x02, 0x20, 0x00, 0x00, 0x00, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00, 0x5d, 0xf0, 0x00, 0xfc,
    0xfd, 0xfa, 0xfa, 0x00, 0x00, 0x0f, 0x03, 0xa0, 0x00, 0x01, 0x00, 0x18, 0x40, 0x01, 0x0c, 0x01,
    0xff, 0xff, 0x02, 0x20, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00,
    0x5d, 0x95, 0x98, 0x09, 0xa1, 0x00, 0x01, 0x00, 0x2b, 0x42, 0x01, 0x01, 0x02, 0x20, 0x00, 0x00,
    0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x5d, 0xa0, 0x02, 0x80, 0x80, 0x2d,
    0x13, 0x65, 0x95, 0x9a, 0x49, 0x32, 0xbc, 0x05, 0xa0, 0x20, 0x00, 0x00, 0x03, 0x00, 0x20, 0x00,
    0x00, 0x03, 0x03, 0xc1, 0xa2, 0x00, 0x01, 0x00, 0x07, 0x44, 0x01, 0xc1, 0x72, 0xb4, 0x62, 0x40,
};

// ffmpeg -f lavfi -i testsrc2=size=3840x2160:rate=60 -t 0.2 -c:v libx265 -preset ultrafast
//   -x265-params log-level=error:info=0:level-idc=5.1:high-tier=1 -pix_fmt yuv420p
//   -tag:v hvc1 hevc_high.mp4
const std::vector<uint8_t> kHvccHighTier = {
    0x01, 0x21, 0x60, 0x00, 0x00, 0x00, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0xf0, 0x00, 0xfc,
    0xfd, 0xf8, 0xf8, 0x00, 0x00, 0x0f, 0x03, 0xa0, 0x00, 0x01, 0x00, 0x18, 0x40, 0x01, 0x0c, 0x01,
    0xff, 0xff, 0x21, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00,
    0x99, 0x95, 0x94, 0x09, 0xa1, 0x00, 0x01, 0x00, 0x2c, 0x42, 0x01, 0x01, 0x21, 0x60, 0x00, 0x00,
    0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x99, 0xa0, 0x01, 0xe0, 0x20, 0x02,
    0x1c, 0x59, 0x65, 0x65, 0x4a, 0x4c, 0x2f, 0x01, 0x68, 0x08, 0x00, 0x00, 0x03, 0x00, 0x08, 0x00,
    0x00, 0x03, 0x01, 0xe0, 0x40, 0xa2, 0x00, 0x01, 0x00, 0x06, 0x44, 0x01, 0xc0, 0x73, 0xc1, 0x89,
};

// ffmpeg -f lavfi -i testsrc2=size=1920x1080:rate=30 -t 0.3 -c:v libsvtav1 -preset 12
//   -pix_fmt yuv420p10le av1_svt.mp4
const std::vector<uint8_t> kAv1cSvt10bit = {
    0x81, 0x08, 0x4c, 0x00, 0x0a, 0x0b, 0x00, 0x00, 0x00,
    0x42, 0xab, 0xbf, 0xc3, 0x70, 0x0b, 0xe1, 0x01,
};

// ffmpeg -f lavfi -i sine=frequency=440:sample_rate=44100 -ac 1 -t 1 -c:a aac aac_44k_mono.mp4
const std::vector<uint8_t> kAsc44kMono = {
    0x12, 0x08, 0x56, 0xe5, 0x00,
};

std::span<const uint8_t> prefix(const std::vector<uint8_t>& bytes, size_t length) {
  return std::span<const uint8_t>(bytes).first(length);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

// ---- BitReader ----

TEST_CASE("BitReader reads fixed-width fields MSB first and fails past the end", "[codec]") {
  const std::vector<uint8_t> bytes = {0xA5, 0xFF};
  BitReader reader(bytes);
  CHECK(reader.bits(1) == 1);
  CHECK(reader.bits(3) == 2);
  CHECK(reader.bits(4) == 5);
  CHECK(reader.bits(8) == 0xFF);
  CHECK(reader.ok());
  CHECK(reader.bits(1) == 0);
  CHECK_FALSE(reader.ok());
}

TEST_CASE("BitReader reads 32-bit fields across bytes and rejects wider ones", "[codec]") {
  const std::vector<uint8_t> bytes = {0x12, 0x34, 0x56, 0x78, 0x9A};
  BitReader reader(bytes);
  reader.skip(4);
  CHECK(reader.bits(32) == 0x23456789u);
  CHECK(reader.ok());
  BitReader wide(bytes);
  wide.bits(33);
  CHECK_FALSE(wide.ok());
}

TEST_CASE("BitReader decodes exp-Golomb codes", "[codec]") {
  // 1 010 011 00100 00111: ue values 0, 1, 2, 3, 6
  const std::vector<uint8_t> bytes = {0xa6, 0x43, 0x80};
  BitReader reader(bytes);
  CHECK(reader.ue() == 0);
  CHECK(reader.ue() == 1);
  CHECK(reader.ue() == 2);
  CHECK(reader.ue() == 3);
  CHECK(reader.ue() == 6);
  CHECK(reader.ok());

  BitReader signed_reader(bytes);
  CHECK(signed_reader.se() == 0);
  CHECK(signed_reader.se() == 1);
  CHECK(signed_reader.se() == -1);
  CHECK(signed_reader.se() == 2);
  CHECK(signed_reader.se() == -3);
}

TEST_CASE("BitReader fails on exp-Golomb codes that are too long or cut short", "[codec]") {
  const std::vector<uint8_t> zeros(5, 0x00);
  BitReader all_zero(zeros);
  CHECK(all_zero.ue() == 0);
  CHECK_FALSE(all_zero.ok());

  const std::vector<uint8_t> too_long = {0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00};
  BitReader overflow(too_long);
  overflow.ue();
  CHECK_FALSE(overflow.ok());

  const std::vector<uint8_t> cut = {0x01};  // seven zeros promise seven more bits
  BitReader truncated(cut);
  truncated.ue();
  CHECK_FALSE(truncated.ok());

  const std::vector<uint8_t> largest = {0x00, 0x00, 0x00, 0x01, 0xFF, 0xFF, 0xFF, 0xFE};
  BitReader max(largest);
  CHECK(max.ue() == 0xFFFFFFFEu);
  CHECK(max.ok());
}

TEST_CASE("BitReader skips emulation prevention bytes only when unescaping", "[codec]") {
  const std::vector<uint8_t> bytes = {0x00, 0x00, 0x03, 0x01};
  BitReader raw(bytes);
  CHECK(raw.bits(32) == 0x00000301u);

  BitReader unescaped(bytes, true);
  CHECK(unescaped.bits(24) == 0x000001u);
  CHECK(unescaped.ok());
  unescaped.bits(1);
  CHECK_FALSE(unescaped.ok());

  const std::vector<uint8_t> twice = {0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x02};
  BitReader both(twice, true);
  CHECK(both.bits(32) == 0u);
  CHECK(both.bits(8) == 0x02u);
  CHECK(both.ok());

  // 03 after a single zero is data.
  const std::vector<uint8_t> lone = {0x00, 0x03, 0x00};
  BitReader kept(lone, true);
  CHECK(kept.bits(24) == 0x000300u);

  // An escape inside an exp-Golomb code: 16 zeros, a one, then 16 value bits 0...01.
  const std::vector<uint8_t> split = {0x00, 0x00, 0x03, 0x80, 0x00, 0x80};
  BitReader code(split, true);
  CHECK(code.ue() == 65536u);
  CHECK(code.ok());
}

// ---- H.264 ----

TEST_CASE("avcC of x264 1280x720 high 3.1", "[codec]") {
  auto config = parse_avcc(kAvcc720p);
  REQUIRE(config.ok());
  CHECK(config->profile_idc == 100);
  CHECK(config->compatibility == 0);
  CHECK(config->level_idc == 31);
  CHECK(config->nal_length_size == 4);
  CHECK(config->chroma_format_idc == 1);
  CHECK(config->bit_depth == 8);
  CHECK(config->frame_mbs_only);
  CHECK(config->width == 1280);
  CHECK(config->height == 720);
  CHECK(config->frame_rate == Approx(30.0));
  CHECK(config->codec_string == "avc1.64001f");
}

TEST_CASE("avcC of 1920x1080 crops the coded 1088 lines", "[codec]") {
  auto config = parse_avcc(kAvcc1080p);
  REQUIRE(config.ok());
  CHECK(config->width == 1920);
  CHECK(config->height == 1080);
  CHECK(config->frame_rate == Approx(25.0));
  CHECK(config->codec_string == "avc1.640028");
}

TEST_CASE("avcC crops by chroma units in 4:2:2 and 4:4:4", "[codec]") {
  auto chroma_422 = parse_avcc(kAvcc422);
  REQUIRE(chroma_422.ok());
  CHECK(chroma_422->chroma_format_idc == 2);
  CHECK(chroma_422->width == 1278);
  CHECK(chroma_422->height == 718);
  CHECK(chroma_422->codec_string == "avc1.7a001f");

  auto chroma_444 = parse_avcc(kAvcc444);
  REQUIRE(chroma_444.ok());
  CHECK(chroma_444->chroma_format_idc == 3);
  CHECK(chroma_444->width == 1278);
  CHECK(chroma_444->height == 718);
  CHECK(chroma_444->codec_string == "avc1.f4001f");
}

TEST_CASE("avcC of an interlaced stream counts field pairs", "[codec]") {
  auto config = parse_avcc(kAvccInterlaced);
  REQUIRE(config.ok());
  CHECK_FALSE(config->frame_mbs_only);
  CHECK(config->width == 720);
  CHECK(config->height == 576);
  CHECK(config->frame_rate == Approx(25.0));
  CHECK(config->codec_string == "avc1.64001e");
}

TEST_CASE("SPS parsed on its own gives the same picture", "[codec]") {
  // The SPS sits after the 6-byte record header and its 2-byte length.
  auto sps = std::span<const uint8_t>(kAvcc1080p).subspan(8, 0x1b);
  auto config = parse_h264_sps(sps);
  REQUIRE(config.ok());
  CHECK(config->width == 1920);
  CHECK(config->height == 1080);
  CHECK(config->codec_string == "avc1.640028");

  // The PPS comes before the 4-byte high profile extension.
  auto pps = std::span<const uint8_t>(kAvcc1080p).subspan(kAvcc1080p.size() - 10, 6);
  REQUIRE(pps[0] == 0x68);
  CHECK_FALSE(parse_h264_sps(pps).ok());
}

TEST_CASE("avcC rejects broken records", "[codec]") {
  // The last four bytes are the high profile extension, which encoders may leave out.
  const size_t without_extension = kAvcc720p.size() - 4;
  for (size_t length = 0; length < kAvcc720p.size(); ++length) {
    INFO("length " << length);
    CHECK(parse_avcc(prefix(kAvcc720p, length)).ok() == (length >= without_extension));
  }
  auto version = kAvcc720p;
  version[0] = 0;
  CHECK(contains(parse_avcc(version).error().message, "version"));
  auto no_sps = kAvcc720p;
  no_sps[5] = 0xE0;
  CHECK(parse_avcc(no_sps).error().message == "avcC: no SPS");
  auto three_byte_lengths = kAvcc720p;
  three_byte_lengths[4] = 0xFE;
  CHECK_FALSE(parse_avcc(three_byte_lengths).ok());
  auto not_sps = kAvcc720p;
  not_sps[8] = 0x68;
  CHECK(parse_avcc(not_sps).error().message.rfind("avcC: h264 sps:", 0) == 0);
}

TEST_CASE("avcC with an SPS that ends inside the VUI keeps the picture size", "[codec]") {
  // Cut the SPS a few bytes into its VUI: 1280x720 is known, the frame rate is not.
  auto record = kAvcc720p;
  const uint8_t kept = 12;
  record[7] = kept;
  record.erase(record.begin() + 8 + kept, record.begin() + 8 + 0x1a);
  auto config = parse_avcc(record);
  REQUIRE(config.ok());
  CHECK(config->width == 1280);
  CHECK(config->height == 720);
  CHECK(config->frame_rate == 0);
}

// ---- HEVC ----

TEST_CASE("hvcC of x265 Main 1918x1078 applies the conformance window", "[codec]") {
  auto config = parse_hvcc(kHvcc1918);
  REQUIRE(config.ok());
  CHECK(config->profile_space == 0);
  CHECK_FALSE(config->high_tier);
  CHECK(config->profile_idc == 1);
  CHECK(config->compatibility_flags == 0x60000000u);
  CHECK(config->level_idc == 120);
  CHECK(config->nal_length_size == 4);
  CHECK(config->bit_depth == 8);
  CHECK(config->width == 1918);
  CHECK(config->height == 1078);
  CHECK(config->frame_rate == 0);
  CHECK(config->codec_string == "hvc1.1.6.L120.90");
}

TEST_CASE("hvcC of x265 Main 10 and of a high tier stream", "[codec]") {
  auto main10 = parse_hvcc(kHvccMain10);
  REQUIRE(main10.ok());
  CHECK(main10->profile_idc == 2);
  CHECK(main10->bit_depth == 10);
  CHECK(main10->width == 1280);
  CHECK(main10->height == 720);
  CHECK(main10->codec_string == "hvc1.2.4.L93.90");

  auto high = parse_hvcc(kHvccHighTier);
  REQUIRE(high.ok());
  CHECK(high->high_tier);
  CHECK(high->width == 3840);
  CHECK(high->height == 2160);
  CHECK(high->codec_string == "hvc1.1.6.H153.90");
}

TEST_CASE("hvcC codec string spells the profile space and inner zero constraint bytes", "[codec]") {
  auto record = kHvcc1918;
  record[1] = 0x41;   // profile space 1
  record[8] = 0x08;   // third constraint byte
  record[19] = 0x1E;  // avgFrameRate 30 * 256
  record[20] = 0x00;
  auto config = parse_hvcc(record);
  REQUIRE(config.ok());
  CHECK(config->codec_string == "hvc1.A1.6.L120.90.00.08");
  CHECK(config->frame_rate == Approx(30.0));
}

TEST_CASE("hvcC rejects broken records", "[codec]") {
  for (size_t length = 0; length < kHvcc1918.size(); ++length) {
    INFO("length " << length);
    CHECK_FALSE(parse_hvcc(prefix(kHvcc1918, length)).ok());
  }
  auto version = kHvcc1918;
  version[0] = 2;
  CHECK_FALSE(parse_hvcc(version).ok());
  auto no_sps = kHvcc1918;
  no_sps[22] = 1;  // keep only the VPS array
  no_sps.resize(23 + 3 + 2 + 0x18);
  CHECK(parse_hvcc(no_sps).error().message == "hvcC: no SPS");
}

// ---- AV1 ----

TEST_CASE("av1C of libaom 1280x720 8-bit", "[codec]") {
  auto config = parse_av1c(kAv1cAom);
  REQUIRE(config.ok());
  CHECK(config->seq_profile == 0);
  CHECK(config->seq_level_idx == 5);
  CHECK_FALSE(config->high_tier);
  CHECK(config->bit_depth == 8);
  CHECK_FALSE(config->monochrome);
  CHECK(config->subsampling_x);
  CHECK(config->subsampling_y);
  CHECK(config->width == 1280);
  CHECK(config->height == 720);
  CHECK(config->codec_string == "av01.0.05M.08");
}

TEST_CASE("av1C of SVT-AV1 1920x1080 10-bit", "[codec]") {
  auto config = parse_av1c(kAv1cSvt10bit);
  REQUIRE(config.ok());
  CHECK(config->seq_level_idx == 8);
  CHECK(config->bit_depth == 10);
  CHECK(config->width == 1920);
  CHECK(config->height == 1080);
  CHECK(config->codec_string == "av01.0.08M.10");
}

TEST_CASE("av1C without configOBUs has no picture size", "[codec]") {
  auto config = parse_av1c(prefix(kAv1cAom, 4));
  REQUIRE(config.ok());
  CHECK(config->width == 0);
  CHECK(config->height == 0);
  CHECK(config->codec_string == "av01.0.05M.08");
}

TEST_CASE("av1C high tier and 12-bit spell H and 12", "[codec]") {
  auto record = kAv1cAom;
  record[1] = 0x4C;  // profile 2, level 12
  record[2] = 0xE0;  // tier, high_bitdepth, twelve_bit
  auto config = parse_av1c(record);
  REQUIRE(config.ok());
  CHECK(config->codec_string == "av01.2.12H.12");
}

TEST_CASE("av1C rejects broken records", "[codec]") {
  for (size_t length = 0; length < kAv1cAom.size(); ++length) {
    INFO("length " << length);
    // Four bytes are a whole record without configOBUs.
    CHECK(parse_av1c(prefix(kAv1cAom, length)).ok() == (length == 4));
  }
  auto marker = kAv1cAom;
  marker[0] = 0x01;
  CHECK_FALSE(parse_av1c(marker).ok());
  auto forbidden = kAv1cAom;
  forbidden[4] |= 0x80;
  CHECK_FALSE(parse_av1c(forbidden).ok());
}

TEST_CASE("av1C reads the frame rate of a sequence header with timing info", "[codec]") {
  // Hand-made: seq_profile 0, timing info 1/30 with equal_picture_interval and
  // one tick per picture, no decoder model, one operating point at level 8,
  // 16-bit frame size fields holding 640x360.
  const std::vector<uint8_t> record = {
      0x81, 0x08, 0x0C, 0x00,  // av1C header
      0x0A, 0x12,              // sequence header OBU with a size, 18 bytes
      0x04, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x7B,
      0x00, 0x00, 0x08, 0x7F, 0x81, 0x3F, 0x80, 0xB3, 0x80,
  };
  auto config = parse_av1c(record);
  REQUIRE(config.ok());
  CHECK(config->frame_rate == Approx(30.0));
  CHECK(config->width == 640);
  CHECK(config->height == 360);
}

// ---- AAC ----

TEST_CASE("AudioSpecificConfig of AAC LC 48 kHz stereo and 44.1 kHz mono", "[codec]") {
  auto stereo = parse_audio_specific_config(kAsc48kStereo);
  REQUIRE(stereo.ok());
  CHECK(stereo->object_type == 2);
  CHECK(stereo->sample_rate == 48000);
  CHECK(stereo->channel_configuration == 2);
  CHECK(stereo->channels == 2);
  CHECK(stereo->codec_string == "mp4a.40.2");

  auto mono = parse_audio_specific_config(kAsc44kMono);
  REQUIRE(mono.ok());
  CHECK(mono->sample_rate == 44100);
  CHECK(mono->channels == 1);
}

TEST_CASE("AudioSpecificConfig with explicit SBR and PS reports the output rate", "[codec]") {
  // Hand-made: object type 5, core 24 kHz stereo, extension 48 kHz, core object type 2
  const std::vector<uint8_t> he_aac = {0x2b, 0x11, 0x88, 0x00};
  auto sbr = parse_audio_specific_config(he_aac);
  REQUIRE(sbr.ok());
  CHECK(sbr->object_type == 5);
  CHECK(sbr->sample_rate == 48000);
  CHECK(sbr->channels == 2);
  CHECK(sbr->codec_string == "mp4a.40.5");

  // Hand-made: object type 29, core 24 kHz mono, extension 48 kHz
  const std::vector<uint8_t> he_aac_v2 = {0xeb, 0x09, 0x88, 0x00};
  auto ps = parse_audio_specific_config(he_aac_v2);
  REQUIRE(ps.ok());
  CHECK(ps->object_type == 29);
  CHECK(ps->sample_rate == 48000);
  CHECK(ps->channel_configuration == 1);
  CHECK(ps->channels == 2);
  CHECK(ps->codec_string == "mp4a.40.29");
}

TEST_CASE("AudioSpecificConfig with an escaped object type and explicit frequency", "[codec]") {
  // Hand-made: object type 31 + 10 = 42, frequency index 15 then 48000 in 24 bits,
  // channel configuration 2
  const std::vector<uint8_t> usac = {0xf9, 0x5e, 0x01, 0x77, 0x00, 0x40};
  auto config = parse_audio_specific_config(usac);
  REQUIRE(config.ok());
  CHECK(config->object_type == 42);
  CHECK(config->sample_rate == 48000);
  CHECK(config->channels == 2);
  CHECK(config->codec_string == "mp4a.40.42");
}

TEST_CASE("AudioSpecificConfig rejects broken configs", "[codec]") {
  CHECK_FALSE(parse_audio_specific_config(prefix(kAsc48kStereo, 0)).ok());
  CHECK_FALSE(parse_audio_specific_config(prefix(kAsc48kStereo, 1)).ok());
  CHECK(parse_audio_specific_config(prefix(kAsc48kStereo, 2)).ok());
  const std::vector<uint8_t> reserved_index = {0x16, 0x90};
  CHECK(contains(parse_audio_specific_config(reserved_index).error().message, "frequency"));
  const std::vector<uint8_t> reserved_channels = {0x11, 0xc0};
  CHECK(contains(parse_audio_specific_config(reserved_channels).error().message, "channel"));
  const std::vector<uint8_t> null_object = {0x01, 0x90};
  CHECK_FALSE(parse_audio_specific_config(null_object).ok());
}

// ---- Random access detection ----

TEST_CASE("h264_has_idr finds an IDR slice among length-prefixed NAL units", "[codec]") {
  // AUD, SEI, IDR slice
  const std::vector<uint8_t> idr = {0,    0,    0, 2, 0x09, 0xF0, 0,    0,    0,    3,   0x06,
                                    0x05, 0x80, 0, 0, 0,    4,    0x65, 0x88, 0x84, 0x00};
  CHECK(h264_has_idr(idr, 4));
  // AUD, non-IDR slice
  const std::vector<uint8_t> inter = {0, 0, 0, 2, 0x09, 0xF0, 0, 0, 0, 3, 0x41, 0x9A, 0x00};
  CHECK_FALSE(h264_has_idr(inter, 4));
  // Two-byte lengths
  const std::vector<uint8_t> short_lengths = {0, 2, 0x09, 0xF0, 0, 2, 0x25, 0x88};
  CHECK(h264_has_idr(short_lengths, 2));
  CHECK_FALSE(h264_has_idr(short_lengths, 4));
  // A length running past the end stops the scan before the IDR.
  const std::vector<uint8_t> broken = {0, 0, 0, 9, 0x09, 0xF0, 0, 0, 0, 1, 0x65};
  CHECK_FALSE(h264_has_idr(broken, 4));
  CHECK_FALSE(h264_has_idr({}, 4));
  CHECK_FALSE(h264_has_idr(idr, 0));
}

TEST_CASE("hevc_has_irap finds IDR, CRA and BLA pictures", "[codec]") {
  auto unit = [](int type) {
    return std::vector<uint8_t>{0, 0, 0, 3, static_cast<uint8_t>(type << 1), 0x01, 0xAF};
  };
  CHECK(hevc_has_irap(unit(19), 4));        // IDR_W_RADL
  CHECK(hevc_has_irap(unit(20), 4));        // IDR_N_LP
  CHECK(hevc_has_irap(unit(21), 4));        // CRA
  CHECK(hevc_has_irap(unit(16), 4));        // BLA_W_LP
  CHECK_FALSE(hevc_has_irap(unit(1), 4));   // TRAIL_R
  CHECK_FALSE(hevc_has_irap(unit(35), 4));  // AUD
  CHECK_FALSE(hevc_has_irap(unit(32), 4));  // VPS
}

// ---- Robustness ----

TEST_CASE("record parsers survive random corruption", "[codec]") {
  std::mt19937 random(20240601);
  const std::vector<const std::vector<uint8_t>*> avc = {&kAvcc720p, &kAvcc1080p, &kAvcc422,
                                                        &kAvcc444, &kAvccInterlaced};
  const std::vector<const std::vector<uint8_t>*> hevc = {&kHvcc1918, &kHvccMain10, &kHvccHighTier};
  auto corrupt = [&](const std::vector<uint8_t>& original) {
    auto bytes = original;
    int flips = 1 + static_cast<int>(random() % 4);
    for (int i = 0; i < flips; ++i) bytes[random() % bytes.size()] ^= 1u << (random() % 8);
    return bytes;
  };
  int parsed = 0;
  int sized = 0;
  for (int round = 0; round < 400; ++round) {
    for (auto* record : avc) {
      auto config = parse_avcc(corrupt(*record));
      parsed += config.ok();
      sized += config.ok() && config->width > 0 && config->height > 0;
    }
    for (auto* record : hevc) {
      auto config = parse_hvcc(corrupt(*record));
      parsed += config.ok();
      sized += config.ok() && config->width > 0 && config->height > 0;
    }
    auto av1 = parse_av1c(corrupt(kAv1cSvt10bit));
    parsed += av1.ok();
    sized += av1.ok() && av1->codec_string.rfind("av01.", 0) == 0;
    auto aac = parse_audio_specific_config(corrupt(kAsc48kStereo));
    parsed += aac.ok();
    sized += aac.ok() && aac->sample_rate > 0;
  }
  // Whatever a corrupted record parses into still has a picture or a rate.
  CHECK(parsed > 0);
  CHECK(sized == parsed);
}
