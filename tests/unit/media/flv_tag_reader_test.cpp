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
  CHECK(track.id == looplive::media::FlvTagReader::kVideoTrack);
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
  CHECK(packet.track == looplive::media::FlvTagReader::kVideoTrack);
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
  CHECK(out->track->id == looplive::media::FlvTagReader::kVideoTrack);
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
