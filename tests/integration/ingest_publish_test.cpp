// Real encoders publish to the real RTMP server, admitted against a real
// PostgreSQL: what the server saw is checked against the source file.
#include <catch2/catch.hpp>

#include <cmath>

#include "ingest_harness.hpp"
#include "looplive/media/flv_tag_reader.hpp"
#include "media_fixture.hpp"

using namespace looplive;
using namespace looplive::test;
using namespace std::chrono_literals;

namespace {

// Checks what one publish delivered against the fixture it was made from.
void check_publish(const RecordedPublish& publish, const MediaFixture& fixture) {
  const core::TrackInfo* video = publish.track(core::MediaKind::video);
  const core::TrackInfo* audio = publish.track(core::MediaKind::audio);
  REQUIRE(video != nullptr);
  REQUIRE(audio != nullptr);
  CHECK(video->codec == core::Codec::h264);
  CHECK(video->width == 640);
  CHECK(video->height == 360);
  CHECK(video->codec_string.rfind("avc1.64", 0) == 0);  // High profile
  CHECK(audio->codec == core::Codec::aac);
  CHECK(audio->sample_rate == 48000);
  CHECK(audio->channels == 2);
  double video_frames = static_cast<double>(publish.count(media::FlvTagReader::kVideoTrack));
  double audio_frames = static_cast<double>(publish.count(media::FlvTagReader::kAudioTrack));
  CHECK(std::abs(video_frames - fixture.video_frames) <= 0.01 * fixture.video_frames);
  CHECK(std::abs(audio_frames - fixture.audio_frames) <= 0.01 * fixture.audio_frames);
  CHECK(publish.monotonic());
  // B-frames arrive with their composition offsets.
  bool reordered = false;
  for (const auto& p : publish.packets)
    reordered |= p.track == media::FlvTagReader::kVideoTrack && p.pts != p.dts;
  CHECK(reordered);
  REQUIRE(publish.end.has_value());
}

RecordedPublish wait_finished(TestServer& server, const std::string& stream_id) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    auto publishes = server.sinks.publishes(stream_id);
    if (publishes.size() == 1 && publishes[0].end) return publishes[0];
    if (std::chrono::steady_clock::now() > deadline) {
      FAIL("publish of " << stream_id << " did not finish; publishes seen: " << publishes.size());
    }
    std::this_thread::sleep_for(20ms);
  }
}

}  // namespace

TEST_CASE("ffmpeg publishes H.264 with B-frames and AAC", "[integration][ingest]") {
  const auto& fixture = h264_aac_fixture();
  TestServer server(test_config(PgCluster::shared()));
  auto stream = server.create_stream();

  std::string out;
  int status = run_command(ffmpeg_publish(fixture.path, server.url(stream.key)), &out, 60s);
  INFO(out);
  REQUIRE(status == 0);
  check_publish(wait_finished(server, stream.stream.id), fixture);
}

TEST_CASE("GStreamer rtmpsink (librtmp) publishes", "[integration][ingest]") {
  const auto& fixture = h264_aac_fixture();
  TestServer server(test_config(PgCluster::shared()));
  auto stream = server.create_stream();

  std::string out;
  int status = run_command({"gst-launch-1.0",
                            "-q",
                            "filesrc",
                            "location=" + fixture.path,
                            "!",
                            "flvdemux",
                            "name=d",
                            "d.video",
                            "!",
                            "queue",
                            "!",
                            "h264parse",
                            "!",
                            "flvmux",
                            "name=m",
                            "streamable=true",
                            "!",
                            "rtmpsink",
                            "location=" + server.url(stream.key) + " live=1",
                            "d.audio",
                            "!",
                            "queue",
                            "!",
                            "aacparse",
                            "!",
                            "m."},
                           &out, 60s);
  INFO(out);
  REQUIRE(status == 0);
  check_publish(wait_finished(server, stream.stream.id), fixture);
}

TEST_CASE("GStreamer rtmp2sink publishes", "[integration][ingest]") {
  const auto& fixture = h264_aac_fixture();
  TestServer server(test_config(PgCluster::shared()));
  auto stream = server.create_stream();

  std::string out;
  int status = run_command({"gst-launch-1.0",
                            "-q",
                            "-e",
                            "filesrc",
                            "location=" + fixture.path,
                            "!",
                            "flvdemux",
                            "name=d",
                            "d.video",
                            "!",
                            "queue",
                            "!",
                            "h264parse",
                            "!",
                            "flvmux",
                            "name=m",
                            "streamable=true",
                            "!",
                            "rtmp2sink",
                            "location=" + server.url(stream.key),
                            "d.audio",
                            "!",
                            "queue",
                            "!",
                            "aacparse",
                            "!",
                            "m."},
                           &out, 60s);
  INFO(out);
  REQUIRE(status == 0);
  check_publish(wait_finished(server, stream.stream.id), fixture);
}

TEST_CASE("the librtmp publisher tool (RTMP_Write) publishes", "[integration][ingest]") {
  const auto& fixture = h264_aac_fixture();
  TestServer server(test_config(PgCluster::shared()));
  auto stream = server.create_stream();

  std::string out;
  int status =
      run_command({built_tool("rtmp_publish"), server.url(stream.key), fixture.path}, &out, 60s);
  INFO(out);
  REQUIRE(status == 0);
  check_publish(wait_finished(server, stream.stream.id), fixture);
}

// While a publisher streams, the kernel batches its data (rtmp.receive_batching)
// up to the end of the message being read; an encoder that pauses must have
// everything it sent handled at once (the earlier time-based batching held the
// last bytes for up to half a second).
TEST_CASE("an encoder that pauses mid-stream has all it sent handled while still connected",
          "[integration][ingest]") {
  const auto& fixture = h264_aac_fixture();
  TestServer server(test_config(PgCluster::shared()));
  auto stream = server.create_stream();

  Process publisher(
      {built_tool("rtmp_publish"), "--hold-ms", "6000", server.url(stream.key), fixture.path},
      make_scratch_dir("pause") + "/publish.log");
  const auto sent_all = [&] { return publisher.output().find("holding") != std::string::npos; };
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!sent_all() && publisher.running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  INFO(publisher.output());
  REQUIRE(sent_all());
  const auto paused_at = std::chrono::steady_clock::now();

  // Everything sent is handled within 300 ms of the pause, the publisher still connected.
  std::this_thread::sleep_until(paused_at + 300ms);
  auto during_pause = server.sinks.publishes(stream.stream.id);
  REQUIRE(during_pause.size() == 1);
  CHECK_FALSE(during_pause[0].end.has_value());
  CHECK(publisher.running());

  REQUIRE(publisher.wait(15s) == 0);
  auto finished = wait_finished(server, stream.stream.id);
  check_publish(finished, fixture);
  CHECK(during_pause[0].packets.size() == finished.packets.size());
}

TEST_CASE("a wrong or revoked key is refused with a status the encoder shows",
          "[integration][ingest]") {
  const auto& fixture = h264_aac_fixture();
  LogCapture logs;  // first: it must outlive the server threads that log into it
  TestServer server(test_config(PgCluster::shared()));
  auto stream = server.create_stream();
  std::string wrong_key = "sk_" + std::string(43, 'A');

  SECTION("ffmpeg with an unknown key") {
    std::string out;
    auto started = std::chrono::steady_clock::now();
    int status = run_command(ffmpeg_publish(fixture.path, server.url(wrong_key)), &out, 30s);
    auto elapsed = std::chrono::steady_clock::now() - started;
    INFO(out);
    CHECK(status != 0);
    CHECK(out.find("Invalid or expired stream key") != std::string::npos);
    CHECK(elapsed < 3s);  // ffmpeg start-up included; the server closes within 1 s of its answer
  }
  SECTION("librtmp with an unknown key") {
    std::string out;
    int status =
        run_command({built_tool("rtmp_publish"), server.url(wrong_key), fixture.path}, &out, 30s);
    INFO(out);
    CHECK(status == 2);
    CHECK(out.find("NetStream.Publish.BadName") != std::string::npos);
  }
  SECTION("a revoked key") {
    server.server.streams().revoke_keys(stream.stream.id);
    std::string out;
    int status = run_command(ffmpeg_publish(fixture.path, server.url(stream.key)), &out, 30s);
    INFO(out);
    CHECK(status != 0);
    CHECK(out.find("Invalid or expired stream key") != std::string::npos);
  }
  CHECK(server.sinks.opened() == 0);
  std::string log = logs.text();
  CHECK(log.find("publish refused from 127.0.0.1:") != std::string::npos);
  CHECK(log.find(wrong_key) == std::string::npos);
  CHECK(log.find(stream.key) == std::string::npos);
  CHECK(log.find(stream.key.substr(0, 10)) == std::string::npos);
}

TEST_CASE("a second publisher on a live key is refused and the first is undisturbed",
          "[integration][ingest]") {
  const auto& fixture = long_h264_aac_fixture();
  TestServer server(test_config(PgCluster::shared()));
  auto stream = server.create_stream();
  std::string dir = make_scratch_dir("dup");

  Process first(ffmpeg_publish(fixture.path, server.url(stream.key)), dir + "/first.log");
  REQUIRE(server.wait_live(stream.stream.id, true));
  std::this_thread::sleep_for(1s);

  std::string out;
  int status =
      run_command(ffmpeg_publish(h264_aac_fixture().path, server.url(stream.key)), &out, 30s);
  INFO(out);
  CHECK(status != 0);
  CHECK(out.find("already publishing") != std::string::npos);

  auto first_status = first.wait(60s);
  INFO(first.output());
  REQUIRE(first_status == 0);
  check_publish(wait_finished(server, stream.stream.id), fixture);
}

TEST_CASE("publishing is refused while the database is down and works once it is back",
          "[integration][ingest]") {
  const auto& fixture = h264_aac_fixture();
  PgCluster& pg = PgCluster::shared();
  LogCapture logs;  // first: it must outlive the server threads that log into it
  TestServer server(test_config(pg));
  auto stream = server.create_stream();

  pg.stop();
  std::string out;
  int status = run_command(ffmpeg_publish(fixture.path, server.url(stream.key)), &out, 30s);
  pg.start();
  INFO(out);
  CHECK(status != 0);
  CHECK(out.find("could not be checked") != std::string::npos);
  CHECK(logs.text().find("key store is unavailable") != std::string::npos);
  CHECK(server.sinks.opened() == 0);

  status = run_command(ffmpeg_publish(fixture.path, server.url(stream.key)), &out, 60s);
  INFO(out);
  REQUIRE(status == 0);
  check_publish(wait_finished(server, stream.stream.id), fixture);
}
