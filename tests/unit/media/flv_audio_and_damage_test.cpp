#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "codec_records.hpp"
#include "flv_test_tags.hpp"
#include "looplive/media/flv_tag_reader.hpp"

using looplive::core::Codec;
using looplive::core::MediaKind;
using looplive::core::SharedBytes;
using looplive::media::FlvTagReader;

using namespace looplive::media::test_records;
using namespace looplive::media::test_tags;

// ---- Audio ----

TEST_CASE("AAC sequence header from an ffmpeg FLV becomes an audio track", "[flv]") {
  FlvTagReader reader;
  auto payload = tag(kFlvAacSequenceHeader);
  auto out = reader.audio(0, payload);
  REQUIRE(out.ok());
  REQUIRE(out->track);
  const auto& track = *out->track;
  CHECK(track.id == looplive::media::FlvTagReader::kAudioTrack);
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
  CHECK(out->packet->track == looplive::media::FlvTagReader::kAudioTrack);
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
