// The interleaver puts tracks of different timescales and delays into one
// time-ordered sequence, holding a packet back only while another track
// could still come before it.
#include "packet_interleaver.hpp"

#include <catch2/catch.hpp>
#include <utility>
#include <vector>

using namespace looplive;

namespace {

struct Collect : core::PacketSink {
  std::vector<std::pair<uint8_t, int64_t>> got;  // track, dts
  void on_track(const core::TrackInfo&) override {}
  void on_packet(const core::MediaPacket& p) override { got.emplace_back(p.track, p.dts); }
  void finish(core::EndReason) override {}
};

core::TrackInfo track(uint8_t id, uint32_t timescale) {
  core::TrackInfo t;
  t.id = id;
  t.timescale = timescale;
  return t;
}

core::MediaPacket packet(uint8_t id, int64_t dts) {
  core::MediaPacket p;
  p.track = id;
  p.dts = p.pts = dts;
  return p;
}

}  // namespace

TEST_CASE("packets go out in time order across timescales", "[vod]") {
  transcode::PacketInterleaver interleaver({track(0, 90000), track(1, 48000)});
  Collect sink;
  // Video 0 s, 1 s; audio 0.5 s, 1.5 s.
  interleaver.push(packet(0, 0));
  interleaver.drain(sink, false);
  CHECK(sink.got.empty());  // the audio could still start before it
  interleaver.push(packet(1, 24000));
  interleaver.drain(sink, false);
  CHECK(sink.got == std::vector<std::pair<uint8_t, int64_t>>{{0, 0}});
  interleaver.push(packet(0, 90000));
  interleaver.push(packet(1, 72000));
  interleaver.drain(sink, false);
  CHECK(sink.got == std::vector<std::pair<uint8_t, int64_t>>{{0, 0}, {1, 24000}, {0, 90000}});
  interleaver.drain(sink, true);
  CHECK(sink.got.back() == std::pair<uint8_t, int64_t>{1, 72000});
}

TEST_CASE("equal times keep the tracks' order", "[vod]") {
  transcode::PacketInterleaver interleaver({track(0, 90000), track(1, 90000), track(2, 1000)});
  Collect sink;
  interleaver.push(packet(2, 0));
  interleaver.push(packet(1, 0));
  interleaver.push(packet(0, 0));
  interleaver.drain(sink, true);
  CHECK(sink.got == std::vector<std::pair<uint8_t, int64_t>>{{0, 0}, {1, 0}, {2, 0}});
}
