// VOD jobs' file side on real files made with ffmpeg at test time: probing,
// posters, transcoding to an H.264 ladder and AAC, and the sentences users
// see for files that cannot be a video.
#include "looplive/transcode/file_transcode.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

extern "C" {
#include <libavcodec/avcodec.h>
}

#include "looplive/av/decoder.hpp"
#include "looplive/av/ffmpeg_ptr.hpp"
#include "media_fixture.hpp"
#include "process.hpp"
#include "recording_sink.hpp"

using namespace looplive;
using namespace std::chrono_literals;

namespace {

void ffmpeg(std::vector<std::string> args) {
  std::vector<std::string> argv{"ffmpeg", "-hide_banner", "-loglevel", "error", "-y"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string out;
  INFO(out);
  REQUIRE(test::run_command(argv, &out) == 0);
}

// The inputs, made once per executable.
struct Inputs {
  test::ScratchDir dir{"file_transcode"};
  std::string mp4, avi, webm, m4a, empty, text, truncated, anamorphic, garbled, portrait;

  Inputs() {
    const std::string d = dir.path().string();
    mp4 = d + "/h264_aac.mp4";
    // B-frames, so the source's decode order is not its display order.
    ffmpeg({"-f",        "lavfi",      "-i",       "testsrc2=size=640x360:rate=30",
            "-f",        "lavfi",      "-i",       "sine=frequency=440:sample_rate=48000",
            "-t",        "4",          "-c:v",     "libx264",
            "-preset",   "veryfast",   "-bf",      "2",
            "-g",        "48",         "-pix_fmt", "yuv420p",
            "-c:a",      "aac",        "-ac",      "2",
            "-movflags", "+faststart", mp4});
    // A codec browsers do not get, with audio at a rate AAC has no index for.
    avi = d + "/mpeg4_pcm.avi";
    ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i",
            "sine=frequency=440:sample_rate=37800", "-t", "3", "-c:v", "mpeg4", "-c:a", "pcm_s16le",
            "-ac", "1", avi});
    webm = d + "/vp9_opus.webm";
    ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i",
            "sine=frequency=440:sample_rate=48000", "-t", "2", "-c:v", "libvpx-vp9", "-deadline",
            "realtime", "-cpu-used", "8", "-c:a", "libopus", webm});
    // 480x360 pixels twice as wide as tall: shown at 960x360.
    anamorphic = d + "/anamorphic.mp4";
    ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=480x360:rate=25", "-t", "1", "-vf", "setsar=2/1",
            "-c:v", "libx264", "-preset", "ultrafast", anamorphic});
    // As a phone stores a portrait video: landscape pictures (320x240, the
    // left half white, the right half black) and a display matrix that turns
    // them. ffmpeg 5.1 writes one only when remuxing.
    const std::string landscape = d + "/landscape.mp4";
    ffmpeg({"-f", "lavfi", "-i",
            "color=white:size=320x240:rate=10,drawbox=x=160:y=0:w=160:h=240:color=black:t=fill",
            "-t", "1", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            landscape});
    portrait = d + "/portrait.mp4";
    ffmpeg({"-i", landscape, "-c", "copy", "-metadata:s:v:0", "rotate=90", portrait});
    m4a = d + "/audio.m4a";
    ffmpeg({"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "2", "-c:a", "aac",
            m4a});
    empty = d + "/empty.mp4";
    std::ofstream(empty).close();
    text = d + "/notes.txt";
    std::ofstream(text) << "These are not the pictures you are looking for.\n";
    // moov first: it opens and states 4 s, but the samples stop half way.
    truncated = d + "/truncated.mp4";
    std::vector<uint8_t> bytes = test::read_bytes(mp4);
    bytes.resize(bytes.size() / 2);
    test::write_bytes(truncated, bytes);
    // Whole, but every sample's bytes are noise: nothing decodes.
    garbled = d + "/garbled.mp4";
    bytes = test::read_bytes(mp4);
    const std::string_view all(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    const size_t mdat = all.find("mdat");
    REQUIRE(mdat != std::string_view::npos);
    uint32_t noise = 12345;
    for (size_t i = mdat + 4; i < bytes.size(); ++i) {
      noise = noise * 1103515245 + 12345;
      bytes[i] = static_cast<uint8_t>(noise >> 16);
    }
    test::write_bytes(garbled, bytes);
  }
};

const Inputs& inputs() {
  static const Inputs made;
  return made;
}

// What transcode_file handed on.
struct Recorded {
  test::RecordingSinkFactory factory;
  std::shared_ptr<core::PacketSink> sink = factory.open(core::PublishGrant{"vod"});
  test::RecordedPublish get() const { return factory.publishes("vod").front(); }
};

std::string ffprobe_entries(const std::string& path, const std::string& entries) {
  std::string out;
  REQUIRE(test::run_command(
              {"ffprobe", "-v", "error", "-show_entries", entries, "-of", "csv=p=0", path}, &out) ==
          0);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::vector<core::MediaPacket> of_track(const test::RecordedPublish& rec, uint8_t track) {
  std::vector<core::MediaPacket> out;
  for (const auto& p : rec.packets)
    if (p.track == track) out.push_back(p);
  return out;
}

std::set<int64_t> keyframe_pts(const std::vector<core::MediaPacket>& packets) {
  std::set<int64_t> keys;
  for (const auto& p : packets)
    if (p.keyframe) keys.insert(p.pts);
  return keys;
}

// Decodes a track's packets with libavcodec, configured from the track's own
// record; the number of pictures (or audio samples) that came out.
size_t decode_all(const core::TrackInfo& track, const std::vector<core::MediaPacket>& packets) {
  auto decoder = av::open_decoder(track, 1);
  REQUIRE(decoder);
  av::AvPacketPtr scratch(av_packet_alloc());
  AVFrame* frame = av_frame_alloc();
  size_t out = 0;
  auto drain = [&] {
    while (avcodec_receive_frame(decoder->get(), frame) >= 0) {
      if (track.kind == core::MediaKind::video) {
        CHECK(frame->width == track.width);
        CHECK(frame->height == track.height);
        CHECK(frame->decode_error_flags == 0);
        ++out;
      } else {
        out += static_cast<size_t>(frame->nb_samples);
      }
    }
  };
  for (const auto& p : packets) {
    REQUIRE(av::send_packet(decoder->get(), scratch.get(), p) >= 0);
    drain();
  }
  avcodec_send_packet(decoder->get(), nullptr);
  drain();
  av_frame_free(&frame);
  return out;
}

// A rung as a raw H.264 (Annex B) file, for ffmpeg to judge: the avcC's
// parameter sets, then each access unit, start codes for lengths.
void write_annexb(const std::string& path, const core::TrackInfo& track,
                  const std::vector<core::MediaPacket>& packets) {
  std::vector<uint8_t> out;
  const auto nal = [&](std::span<const uint8_t> unit) {
    out.insert(out.end(), {0, 0, 0, 1});
    out.insert(out.end(), unit.begin(), unit.end());
  };
  const std::span<const uint8_t> avcc = track.codec_config.span();
  REQUIRE(avcc.size() > 7);
  size_t pos = 5;
  for (int list = 0; list < 2; ++list) {
    const int count = list == 0 ? avcc[pos] & 0x1f : avcc[pos];
    ++pos;
    for (int i = 0; i < count; ++i) {
      REQUIRE(pos + 2 <= avcc.size());
      const size_t size = static_cast<size_t>(avcc[pos] << 8 | avcc[pos + 1]);
      REQUIRE(pos + 2 + size <= avcc.size());
      nal(avcc.subspan(pos + 2, size));
      pos += 2 + size;
    }
  }
  for (const auto& p : packets) {
    const std::span<const uint8_t> au = p.payload.span();
    for (size_t at = 0; at + 4 <= au.size();) {
      const size_t size =
          static_cast<size_t>(au[at]) << 24 | au[at + 1] << 16 | au[at + 2] << 8 | au[at + 3];
      REQUIRE(at + 4 + size <= au.size());
      nal(au.subspan(at + 4, size));
      at += 4 + size;
    }
  }
  test::write_bytes(path, out);
}

}  // namespace

TEST_CASE("probe_file reports an MP4's figures", "[vod]") {
  auto probe = transcode::probe_file(inputs().mp4, {});
  REQUIRE(probe);
  CHECK(probe->duration_seconds == Approx(4.0).margin(0.1));
  CHECK(probe->bit_rate > 10'000);
  CHECK(probe->format == "mov,mp4,m4a,3gp,3g2,mj2");
  CHECK(probe->video_codec == "h264");
  CHECK(probe->width == 640);
  CHECK(probe->height == 360);
  CHECK(probe->frame_rate == Approx(30.0));
  CHECK(probe->audio_codec == "aac");
  CHECK(probe->sample_rate == 48000);
  CHECK(probe->channels == 2);
}

TEST_CASE("probe_file reads codecs browsers do not play", "[vod]") {
  auto webm = transcode::probe_file(inputs().webm, {});
  REQUIRE(webm);
  CHECK(webm->format == "matroska,webm");
  CHECK(webm->video_codec == "vp9");
  CHECK(webm->width == 320);
  CHECK(webm->height == 240);
  CHECK(webm->frame_rate == Approx(25.0));
  CHECK(webm->audio_codec == "opus");
  CHECK(webm->sample_rate == 48000);
  CHECK(webm->duration_seconds == Approx(2.0).margin(0.1));

  auto avi = transcode::probe_file(inputs().avi, {});
  REQUIRE(avi);
  CHECK(avi->format == "avi");
  CHECK(avi->video_codec == "mpeg4");
  CHECK(avi->audio_codec == "pcm_s16le");
  CHECK(avi->sample_rate == 37800);
  CHECK(avi->channels == 1);
}

TEST_CASE("files that cannot be a video are refused with a sentence users understand", "[vod]") {
  auto error_of = [](const std::string& path) {
    auto probe = transcode::probe_file(path, {});
    REQUIRE_FALSE(probe);
    return probe.error().message;
  };
  CHECK(error_of(inputs().empty) == "the file is empty");
  CHECK(error_of(inputs().text) == "not a media file (Invalid data found when processing input)");
  CHECK(error_of(inputs().m4a) == "no video stream (audio only)");
  // A playlist naming a video on the server's disk is not read.
  const std::string playlist = inputs().dir.path().string() + "/playlist.m3u8";
  std::ofstream(playlist) << "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\nh264_aac.mp4\n"
                             "#EXT-X-ENDLIST\n";
  CHECK(error_of(playlist) == "not a media file (a playlist, not a video)");
  const std::string missing = inputs().dir.path().string() + "/missing.mp4";
  CHECK(error_of(missing) == "cannot open " + missing + ": No such file or directory");
  CHECK(transcode::probe_file(missing, {}).error().code == core::ErrorCode::invalid);

  Recorded rec;
  auto result = transcode::transcode_file(inputs().text, {}, *rec.sink);
  REQUIRE_FALSE(result);
  CHECK(result.error().message == "not a media file (Invalid data found when processing input)");
  // Nothing was announced, so there is nothing for the sink to end.
  CHECK(rec.get().tracks.empty());
  CHECK_FALSE(rec.get().end);
}

TEST_CASE("poster_jpeg makes a JPEG of the asked width", "[vod]") {
  test::ScratchDir dir("poster");
  for (const auto& [max_width, width, height] :
       std::vector<std::tuple<int, int, int>>{{320, 320, 180}, {1280, 640, 360}, {201, 200, 112}}) {
    INFO("max width " << max_width);
    auto jpeg = transcode::poster_jpeg(inputs().mp4, 1.5, max_width, {});
    REQUIRE(jpeg);
    REQUIRE(jpeg->size() > 1000);
    CHECK(static_cast<uint8_t>((*jpeg)[0]) == 0xff);
    CHECK(static_cast<uint8_t>((*jpeg)[1]) == 0xd8);
    const std::string path = dir.path().string() + "/poster.jpg";
    std::ofstream(path, std::ios::binary) << *jpeg;
    CHECK(ffprobe_entries(path, "stream=codec_name,width,height") ==
          "mjpeg," + std::to_string(width) + "," + std::to_string(height));
  }
  // Past the end: the last picture rather than nothing.
  CHECK(transcode::poster_jpeg(inputs().webm, 60, 160, {}));
  auto audio = transcode::poster_jpeg(inputs().m4a, 0, 320, {});
  REQUIRE_FALSE(audio);
  CHECK(audio.error().message == "no video stream (audio only)");
}

TEST_CASE("transcode_file encodes an MP4 to an aligned H.264 ladder and AAC", "[vod]") {
  Recorded rec;
  transcode::FileTranscodeOptions options;
  options.rungs = {{240, 300'000}, {360, 600'000}, {720, 2'800'000}};  // 720p: above the source
  std::vector<double> progress;
  options.progress = [&](double done) { progress.push_back(done); };
  auto result = transcode::transcode_file(inputs().mp4, options, *rec.sink);
  REQUIRE(result);
  const test::RecordedPublish out = rec.get();
  CHECK(out.end == core::EndReason::publisher_closed);

  REQUIRE(out.tracks.size() == 3);
  CHECK(result->tracks.size() == 3);
  const core::TrackInfo& big = out.tracks[0];
  const core::TrackInfo& small = out.tracks[1];
  const core::TrackInfo& audio = out.tracks[2];
  CHECK(big.id == 0);
  CHECK(big.kind == core::MediaKind::video);
  CHECK(big.rendition == 0);
  CHECK(big.codec == core::Codec::h264);
  CHECK(big.width == 640);
  CHECK(big.height == 360);
  CHECK(big.codec_string.starts_with("avc1."));
  CHECK(big.timescale == 1000);
  CHECK(small.id == 1);
  CHECK(small.rendition == 1);
  CHECK(small.width == 426);
  CHECK(small.height == 240);
  CHECK(audio.id == 2);
  CHECK(audio.kind == core::MediaKind::audio);
  CHECK(audio.rendition == 0);
  CHECK(audio.codec == core::Codec::aac);
  CHECK(audio.codec_string == "mp4a.40.2");
  CHECK(audio.timescale == 1000);
  CHECK(audio.sample_rate == 48000);
  CHECK(audio.channels == 2);
  CHECK(audio.codec_config.size() >= 2);

  // One picture per source picture on each rung, times only going up.
  const auto big_packets = of_track(out, 0);
  const auto small_packets = of_track(out, 1);
  CHECK(big_packets.size() == 120);
  CHECK(small_packets.size() == 120);
  CHECK(result->video_frames == 120);
  CHECK(result->media_seconds == Approx(4.0).margin(0.1));
  for (const auto* packets : {&big_packets, &small_packets}) {
    REQUIRE_FALSE(packets->empty());
    CHECK(packets->front().pts < 9000);  // starts near 0
    for (size_t i = 0; i < packets->size(); ++i) {
      CHECK((*packets)[i].pts == (*packets)[i].dts);
      if (i > 0) CHECK((*packets)[i].dts > (*packets)[i - 1].dts);
    }
  }
  // Keyframes on the same pictures, at the first picture of every 2 s.
  CHECK(keyframe_pts(big_packets) == std::set<int64_t>{0, 2000});
  CHECK(keyframe_pts(small_packets) == keyframe_pts(big_packets));

  // One sequence in time order across tracks.
  double last = -1;
  for (const auto& p : out.packets) {
    const double t = static_cast<double>(p.dts) / out.tracks[p.track].timescale;
    CHECK(t >= last);
    last = t;
  }
  CHECK(out.monotonic());

  // Each rung and the audio decode cleanly from their own configuration.
  CHECK(decode_all(big, big_packets) == 120);
  CHECK(decode_all(small, small_packets) == 120);
  // ffmpeg reads the largest rung as a raw H.264 stream without a complaint.
  test::ScratchDir dir("rung");
  const std::string raw = dir.path().string() + "/rung0.h264";
  write_annexb(raw, big, big_packets);
  int status = -1;
  CHECK(test::decode_errors(raw, &status).empty());
  CHECK(status == 0);
  CHECK(ffprobe_entries(raw, "stream=codec_name,width,height") == "h264,640,360");
  std::string frames;
  REQUIRE(test::run_command({"ffprobe", "-v", "error", "-count_frames", "-show_entries",
                             "stream=nb_read_frames", "-of", "csv=p=0", raw},
                            &frames) == 0);
  CHECK(std::stoi(frames) == 120);

  const size_t samples = decode_all(audio, of_track(out, 2));
  CHECK(samples == Approx(4 * 48000).margin(3 * 1024));

  REQUIRE_FALSE(progress.empty());
  CHECK(std::is_sorted(progress.begin(), progress.end()));
  CHECK(progress.back() == 1.0);
}

TEST_CASE("transcode_file turns MPEG-4 part 2 and odd-rate PCM into H.264 and AAC", "[vod]") {
  Recorded rec;
  // No rung fits below the source: one at its own height.
  transcode::FileTranscodeOptions options;
  options.rungs = {{480, 1'200'000}};
  auto result = transcode::transcode_file(inputs().avi, options, *rec.sink);
  REQUIRE(result);
  const test::RecordedPublish out = rec.get();
  REQUIRE(out.tracks.size() == 2);
  CHECK(out.tracks[0].width == 320);
  CHECK(out.tracks[0].height == 240);
  CHECK(out.tracks[0].codec == core::Codec::h264);
  CHECK(out.tracks[1].sample_rate == 48000);  // 37.8 kHz has no AAC index
  CHECK(out.tracks[1].channels == 1);
  const auto video = of_track(out, 0);
  CHECK(video.size() == 75);
  CHECK(keyframe_pts(video) == std::set<int64_t>{0, 2000});
  CHECK(decode_all(out.tracks[0], video) == 75);
  CHECK(decode_all(out.tracks[1], of_track(out, 1)) == Approx(3 * 48000).margin(3 * 1024));
}

TEST_CASE("transcode_file encodes VP9 and Opus", "[vod]") {
  Recorded rec;
  transcode::FileTranscodeOptions options;
  options.gop = 1000ms;
  auto result = transcode::transcode_file(inputs().webm, options, *rec.sink);
  REQUIRE(result);
  const test::RecordedPublish out = rec.get();
  REQUIRE(out.tracks.size() == 2);
  CHECK(out.tracks[0].height == 240);
  CHECK(out.tracks[1].sample_rate == 48000);
  const auto video = of_track(out, 0);
  CHECK(video.size() == 50);
  // The first picture (the audio starts a little earlier) and the first at
  // or after 1 s.
  REQUIRE_FALSE(video.empty());
  const int64_t first = video.front().pts;
  CHECK(first < 50);
  int64_t second = 0;
  for (const auto& p : video)
    if (second == 0 && p.pts >= 1000) second = p.pts;
  CHECK(keyframe_pts(video) == std::set<int64_t>{first, second});
  CHECK(decode_all(out.tracks[0], video) == 50);
}

TEST_CASE("non-square pixels are shown, and transcoded, at their displayed width", "[vod]") {
  auto probe = transcode::probe_file(inputs().anamorphic, {});
  REQUIRE(probe);
  CHECK(probe->width == 960);
  CHECK(probe->height == 360);
  Recorded rec;
  transcode::FileTranscodeOptions options;
  options.rungs = {{360, 600'000}, {180, 200'000}};
  REQUIRE(transcode::transcode_file(inputs().anamorphic, options, *rec.sink));
  const auto out = rec.get();
  REQUIRE(out.tracks.size() == 2);  // no audio track
  CHECK(out.tracks[0].width == 960);
  CHECK(out.tracks[1].width == 480);
  CHECK(out.tracks[1].height == 180);
  CHECK(decode_all(out.tracks[1], of_track(out, 1)) == 25);

  test::ScratchDir dir("poster");
  auto jpeg = transcode::poster_jpeg(inputs().anamorphic, 0, 480, {});
  REQUIRE(jpeg);
  const std::string path = dir.path().string() + "/poster.jpg";
  std::ofstream(path, std::ios::binary) << *jpeg;
  CHECK(ffprobe_entries(path, "stream=width,height") == "480,180");
}

// Mean brightness of the top and of the bottom tenth of a grey picture.
std::pair<double, double> top_and_bottom(const uint8_t* luma, int linesize, int width, int height) {
  const auto mean = [&](int from, int to) {
    double sum = 0;
    for (int y = from; y < to; ++y)
      for (int x = 0; x < width; ++x) sum += luma[static_cast<ptrdiff_t>(y) * linesize + x];
    return sum / ((to - from) * width);
  };
  return {mean(0, height / 10), mean(height - height / 10, height)};
}

TEST_CASE("a phone's portrait video is probed, transcoded and postered upright", "[vod]") {
  // What players show, by ffmpeg's own turn of the file: the white half at the bottom.
  test::ScratchDir dir("portrait");
  const std::string shown = dir.path().string() + "/shown.gray";
  ffmpeg({"-i", inputs().portrait, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", shown});
  const std::vector<uint8_t> reference = test::read_bytes(shown);
  REQUIRE(reference.size() == 240 * 320);
  const auto [ref_top, ref_bottom] = top_and_bottom(reference.data(), 240, 240, 320);
  REQUIRE(ref_top < 40);
  REQUIRE(ref_bottom > 215);

  auto probe = transcode::probe_file(inputs().portrait, {});
  REQUIRE(probe);
  // The matrix ffmpeg 5.1 writes for rotate=90 turns counter-clockwise by 90.
  CHECK(probe->rotation == 270);
  CHECK(probe->width == 240);
  CHECK(probe->height == 320);

  Recorded rec;
  transcode::FileTranscodeOptions options;
  // A rung's height is the shorter side, the width here: 320 is above the source.
  options.rungs = {{320, 600'000}, {240, 400'000}, {120, 150'000}};
  REQUIRE(transcode::transcode_file(inputs().portrait, options, *rec.sink));
  const auto out = rec.get();
  REQUIRE(out.tracks.size() == 2);
  CHECK(out.tracks[0].width == 240);
  CHECK(out.tracks[0].height == 320);
  CHECK(out.tracks[1].width == 120);
  CHECK(out.tracks[1].height == 160);
  CHECK(decode_all(out.tracks[1], of_track(out, 1)) == 10);
  // The first picture of the top rung is the one players show.
  auto decoder = av::open_decoder(out.tracks[0], 1);
  REQUIRE(decoder);
  av::AvPacketPtr scratch(av_packet_alloc());
  av::AvFramePtr frame(av_frame_alloc());
  bool decoded = false;
  for (const auto& p : of_track(out, 0)) {
    REQUIRE(av::send_packet(decoder->get(), scratch.get(), p) >= 0);
    if (avcodec_receive_frame(decoder->get(), frame.get()) >= 0) {
      decoded = true;
      break;
    }
  }
  if (!decoded) {
    avcodec_send_packet(decoder->get(), nullptr);
    decoded = avcodec_receive_frame(decoder->get(), frame.get()) >= 0;
  }
  REQUIRE(decoded);
  const auto [top, bottom] =
      top_and_bottom(frame->data[0], frame->linesize[0], frame->width, frame->height);
  CHECK(top < 40);      // limited-range black is 16
  CHECK(bottom > 215);  // and white 235

  auto jpeg = transcode::poster_jpeg(inputs().portrait, 0, 1280, {});
  REQUIRE(jpeg);
  const std::string poster = dir.path().string() + "/poster.jpg";
  std::ofstream(poster, std::ios::binary) << *jpeg;
  CHECK(ffprobe_entries(poster, "stream=width,height") == "240,320");
  const std::string poster_gray = dir.path().string() + "/poster.gray";
  ffmpeg({"-i", poster, "-f", "rawvideo", "-pix_fmt", "gray", poster_gray});
  const std::vector<uint8_t> pixels = test::read_bytes(poster_gray);
  REQUIRE(pixels.size() == 240 * 320);
  const auto [poster_top, poster_bottom] = top_and_bottom(pixels.data(), 240, 240, 320);
  CHECK(poster_top < 40);
  CHECK(poster_bottom > 215);
}

TEST_CASE("a truncated MP4 fails with where its media stops", "[vod]") {
  Recorded rec;
  auto probe = transcode::probe_file(inputs().truncated, {});
  REQUIRE(probe);  // the index is whole: only the media is missing
  auto result = transcode::transcode_file(inputs().truncated, {}, *rec.sink);
  REQUIRE_FALSE(result);
  INFO(result.error().message);
  CHECK(result.error().message.starts_with("the file is truncated: its media stops at "));
  CHECK(result.error().message.ends_with(" s of 4 s"));
  // About half the media made it.
  const std::string stops = result.error().message.substr(
      std::string("the file is truncated: its media stops at ").size());
  CHECK(std::stod(stops) > 0.5);
  CHECK(std::stod(stops) < 3.0);
  CHECK(rec.get().end == core::EndReason::protocol_error);
}

TEST_CASE("a file whose pictures do not decode fails", "[vod]") {
  Recorded rec;
  auto result = transcode::transcode_file(inputs().garbled, {}, *rec.sink);
  REQUIRE_FALSE(result);
  CHECK(result.error().message.starts_with("no picture could be decoded"));
  CHECK(rec.get().end == core::EndReason::protocol_error);
}

TEST_CASE("a cancelled job stops with \"cancelled\"", "[vod]") {
  transcode::FileOptions never;
  never.cancelled = [] { return true; };
  auto probe = transcode::probe_file(inputs().mp4, never);
  REQUIRE_FALSE(probe);
  CHECK(probe.error().message == "cancelled");

  // Cancelled half way through the transcode.
  Recorded rec;
  transcode::FileTranscodeOptions options;
  std::atomic<int> asked{0};
  options.file.cancelled = [&] { return ++asked > 300; };
  auto result = transcode::transcode_file(inputs().mp4, options, *rec.sink);
  REQUIRE_FALSE(result);
  CHECK(result.error().message == "cancelled");
  const auto out = rec.get();
  CHECK(out.end == core::EndReason::shutdown);
  CHECK(out.packets.size() < 250);
}

TEST_CASE("http sources are read, and a stalled one times out", "[vod]") {
  const uint16_t port = test::free_port();
  test::Process server({"python3", "-m", "http.server", std::to_string(port), "--bind", "127.0.0.1",
                        "--directory", inputs().dir.path().string()},
                       inputs().dir.path().string() + "/http.log");
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/h264_aac.mp4";
  transcode::FileOptions options;
  options.io_timeout = 2000ms;
  core::Result<transcode::FileProbe> probe = core::Error{"not tried"};
  for (int i = 0; i < 50; ++i) {
    probe = transcode::probe_file(url, options);
    if (probe || probe.error().message.find("refused") == std::string::npos) break;
    std::this_thread::sleep_for(100ms);
  }
  REQUIRE(probe);
  CHECK(probe->width == 640);

  // Accepts the connection and never answers.
  const uint16_t silent_port = test::free_port();
  test::Process silent({"python3", "-c",
                        "import socket,time\n"
                        "s=socket.socket()\n"
                        "s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
                        "s.bind(('127.0.0.1'," +
                            std::to_string(silent_port) +
                            "))\n"
                            "s.listen(8)\n"
                            "c=[]\n"
                            "while True: c.append(s.accept())\n"},
                       inputs().dir.path().string() + "/silent.log");
  const std::string stalled = "http://127.0.0.1:" + std::to_string(silent_port) + "/video.mp4";
  options.io_timeout = 1000ms;
  core::Result<transcode::FileProbe> timed_out = core::Error{"not tried"};
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) {
    timed_out = transcode::probe_file(stalled, options);
    if (timed_out || timed_out.error().message.find("refused") == std::string::npos) break;
    std::this_thread::sleep_for(100ms);
  }
  REQUIRE_FALSE(timed_out);
  CHECK(timed_out.error().message == "cannot open " + stalled + ": Connection timed out");
  CHECK(timed_out.error().code == core::ErrorCode::unavailable);
  CHECK(std::chrono::steady_clock::now() - start < 10s);
}
