// A real H.264 publish (the ffmpeg-made fixture, with B-frames) through the
// ladder's transcoder: every rung decodes at its size, has a picture for
// every source picture and its keyframes at the source's decode times.
#include "transcoder.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <vector>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include "looplive/av/decoder.hpp"
#include "looplive/media/flv_file.hpp"
#include "looplive/media/flv_tag_reader.hpp"
#include "looplive/transcode/ladder_plan.hpp"
#include "media_fixture.hpp"
#include "process.hpp"

using namespace looplive;

namespace {

struct Source {
  core::TrackInfo track;
  std::vector<core::MediaPacket> packets;
};

Source read_video(const std::string& path) {
  auto tags = media::read_flv_file(path);
  REQUIRE(tags);
  media::FlvTagReader reader;
  Source source;
  for (const auto& tag : *tags) {
    if (tag.type != media::kFlvTagVideo) continue;
    auto output = reader.video(tag.timestamp_ms, core::SharedBytes::copy_of(tag.body));
    REQUIRE(output);
    if (output->track) source.track = *output->track;
    if (output->packet) source.packets.push_back(*output->packet);
  }
  return source;
}

// The decode times of the keyframes among `packets`.
std::set<int64_t> keyframe_times(const std::vector<core::MediaPacket>& packets) {
  std::set<int64_t> keys;
  for (const auto& p : packets)
    if (p.keyframe) keys.insert(p.dts);
  return keys;
}

// Decode times only go up, and no picture is shown before it is decoded.
void check_in_order(const std::vector<core::MediaPacket>& packets) {
  for (size_t i = 0; i < packets.size(); ++i) {
    if (i > 0) CHECK(packets[i].dts > packets[i - 1].dts);
    CHECK(packets[i].pts >= packets[i].dts);
  }
}

}  // namespace

TEST_CASE("the transcoder encodes every rung from each source picture, keyframes aligned",
          "[ladder]") {
  const Source source = read_video(test::h264_aac_fixture().path);
  REQUIRE(source.track.width == 640);
  const std::vector<transcode::RungPlan> plan{{1, 426, 240, 400'000}, {2, 256, 144, 200'000}};
  transcode::LadderConfig config;
  auto opened = transcode::Transcoder::open(source.track, plan, config, 100);
  REQUIRE(opened);
  transcode::Transcoder& transcoder = *opened.value();
  const auto& tracks = transcoder.rung_tracks();
  REQUIRE(tracks.size() == 2);
  CHECK(tracks[0].id == 100);
  CHECK(tracks[0].rendition == 1);
  CHECK(tracks[0].width == 426);
  CHECK(tracks[0].height == 240);
  CHECK(tracks[0].codec_string.starts_with("avc1."));
  CHECK(tracks[1].id == 101);

  std::vector<core::MediaPacket> made;
  for (const auto& packet : source.packets) REQUIRE(transcoder.push(packet, made));
  REQUIRE(transcoder.flush(made));

  const std::set<int64_t> source_keys = keyframe_times(source.packets);
  REQUIRE(source_keys.size() >= 2);
  for (size_t rung = 0; rung < tracks.size(); ++rung) {
    INFO("rung " << rung);
    std::vector<core::MediaPacket> packets;
    for (const auto& p : made)
      if (p.track == tracks[rung].id) packets.push_back(p);
    // One rung picture per source picture, the last ones flushed out of the decoder.
    CHECK(packets.size() == source.packets.size());
    check_in_order(packets);
    CHECK(keyframe_times(packets) == source_keys);

    // A decoder configured from the rung's own avcC decodes it at its size.
    auto decoder = av::open_decoder(tracks[rung], 1);
    REQUIRE(decoder);
    AVPacket* scratch = av_packet_alloc();
    AVFrame* picture = av_frame_alloc();
    size_t pictures = 0;
    for (const auto& p : packets) {
      REQUIRE(av::send_packet(decoder->get(), scratch, p) >= 0);
      while (avcodec_receive_frame(decoder->get(), picture) >= 0) {
        CHECK(picture->width == tracks[rung].width);
        CHECK(picture->height == tracks[rung].height);
        ++pictures;
      }
    }
    avcodec_send_packet(decoder->get(), nullptr);
    while (avcodec_receive_frame(decoder->get(), picture) >= 0) ++pictures;
    CHECK(pictures == packets.size());
    av_frame_free(&picture);
    av_packet_free(&scratch);
  }
}

TEST_CASE("a transcoder with an unknown encoder does not open", "[ladder]") {
  const Source source = read_video(test::h264_aac_fixture().path);
  transcode::LadderConfig config;
  config.encoder = "no_such_encoder";
  const std::vector<transcode::RungPlan> plan{{1, 426, 240, 400'000}};
  auto opened = transcode::Transcoder::open(source.track, plan, config, 100);
  REQUIRE_FALSE(opened);
  CHECK(opened.error().message.find("no_such_encoder") != std::string::npos);
}

TEST_CASE("a GPU encoder encodes every picture on its GPU, or says what it needs without one",
          "[ladder]") {
  const Source source = read_video(test::h264_aac_fixture().path);
  const std::vector<transcode::RungPlan> plan{{1, 426, 240, 400'000}};
  transcode::LadderConfig config;
  config.encoder = "h264_vaapi";
  auto opened = transcode::Transcoder::open(source.track, plan, config, 100);
  if (opened) {
    // A machine with a VAAPI GPU: the rung encodes every picture on it.
    std::vector<core::MediaPacket> made;
    for (const auto& packet : source.packets) REQUIRE(opened.value()->push(packet, made));
    REQUIRE(opened.value()->flush(made));
    CHECK(made.size() == source.packets.size());
    return;
  }
  INFO(opened.error().message);
  // No render node (as here), or one without a VA-API driver: said so.
  CHECK(opened.error().message.find("h264_vaapi needs a VAAPI device") != std::string::npos);
}

TEST_CASE("a source of unknown frame rate gets rungs at the level their size needs", "[ladder]") {
  Source source = read_video(test::h264_aac_fixture().path);
  source.track.frame_rate = 0;  // no onMetaData, none in the decoder record
  const std::vector<transcode::RungPlan> plan{{1, 426, 240, 400'000}};
  auto opened = transcode::Transcoder::open(source.track, plan, transcode::LadderConfig{}, 100);
  REQUIRE(opened);
  const core::TrackInfo& rung = opened.value()->rung_tracks().front();
  // Level 2.1 (240p at 30 fps), not 4.2: libx264 takes the millisecond
  // timescale for the frame rate unless told one.
  CHECK(rung.codec_string == "avc1.640015");
  CHECK(rung.frame_rate == 0);  // unknown, so no FRAME-RATE is listed
  std::vector<core::MediaPacket> made;
  for (const auto& packet : source.packets) REQUIRE(opened.value()->push(packet, made));
  REQUIRE(opened.value()->flush(made));
  CHECK(made.size() == source.packets.size());
  // And it spends its 400 kbit/s on the pictures there are (at 1000 a
  // second libx264 gave each QP 51 and the rung 16 kbit/s).
  size_t bytes = 0;
  for (const auto& packet : made) bytes += packet.payload.size();
  const double seconds = double(made.back().dts - made.front().dts) / rung.timescale;
  CHECK(bytes * 8 / seconds > 300'000);
  CHECK(bytes * 8 / seconds < 500'000);
}

namespace {

// An HEVC show as an encoder sends it: libx265's MP4 (hvcC and
// length-prefixed NAL units, what Enhanced RTMP carries), read with libavformat.
Source hevc_source(const std::string& dir) {
  const std::string path = dir + "/hevc.mp4";
  std::string out;
  REQUIRE(test::run_command({"ffmpeg",
                             "-hide_banner",
                             "-loglevel",
                             "error",
                             "-y",
                             "-f",
                             "lavfi",
                             "-i",
                             "testsrc2=size=640x360:rate=30",
                             "-t",
                             "3",
                             "-c:v",
                             "libx265",
                             "-x265-params",
                             "log-level=error:keyint=60:open-gop=1:bframes=3",
                             "-pix_fmt",
                             "yuv420p",
                             "-tag:v",
                             "hvc1",
                             path},
                            &out) == 0);
  AVFormatContext* input = nullptr;
  REQUIRE(avformat_open_input(&input, path.c_str(), nullptr, nullptr) == 0);
  REQUIRE(avformat_find_stream_info(input, nullptr) >= 0);
  const AVStream* stream = input->streams[0];
  Source source;
  source.track.kind = core::MediaKind::video;
  source.track.codec = core::Codec::hevc;
  source.track.timescale = 1000;
  source.track.width = static_cast<uint16_t>(stream->codecpar->width);
  source.track.height = static_cast<uint16_t>(stream->codecpar->height);
  source.track.codec_config = core::SharedBytes::copy_of(
      {stream->codecpar->extradata, static_cast<size_t>(stream->codecpar->extradata_size)});
  AVPacket* packet = av_packet_alloc();
  while (av_read_frame(input, packet) >= 0) {
    core::MediaPacket p;
    p.dts = av_rescale_q(packet->dts, stream->time_base, AVRational{1, 1000});
    p.pts = av_rescale_q(packet->pts, stream->time_base, AVRational{1, 1000});
    p.keyframe = (packet->flags & AV_PKT_FLAG_KEY) != 0;
    p.payload = core::SharedBytes::copy_of({packet->data, static_cast<size_t>(packet->size)});
    source.packets.push_back(std::move(p));
    av_packet_unref(packet);
  }
  av_packet_free(&packet);
  avformat_close_input(&input);
  return source;
}

}  // namespace

TEST_CASE("an HEVC source gets an H.264 rung of its own size that browsers can play", "[ladder]") {
  test::ScratchDir dir("hevc");
  const Source source = hevc_source(dir.path().string());
  REQUIRE(source.packets.size() == 90);
  const auto plan = transcode::plan_ladder(source.track, {});
  REQUIRE(plan.size() == 1);
  transcode::LadderConfig config;
  auto opened = transcode::Transcoder::open(source.track, plan, config, 100);
  REQUIRE(opened);
  const core::TrackInfo& rung = opened.value()->rung_tracks().front();
  CHECK(rung.codec == core::Codec::h264);
  CHECK(rung.width == 640);
  CHECK(rung.height == 360);
  std::vector<core::MediaPacket> made;
  for (const auto& packet : source.packets) REQUIRE(opened.value()->push(packet, made));
  REQUIRE(opened.value()->flush(made));
  CHECK(made.size() == source.packets.size());
  // libx265 makes open GOPs (CRA keyframes with leading pictures shown
  // before them): the rung's keyframes still carry the source keyframes'
  // decode times, where the packager cuts the source.
  const std::set<int64_t> source_keys = keyframe_times(source.packets);
  REQUIRE(source_keys.size() == 2);  // every 2 s
  // The clip has leading pictures: decoded after the second keyframe, shown before it.
  const auto second = std::find_if(source.packets.begin() + 1, source.packets.end(),
                                   [](const core::MediaPacket& p) { return p.keyframe; });
  REQUIRE(second != source.packets.end());
  CHECK(std::any_of(second + 1, source.packets.end(),
                    [&](const core::MediaPacket& p) { return p.pts < second->pts; }));
  check_in_order(made);
  CHECK(keyframe_times(made) == source_keys);
}
