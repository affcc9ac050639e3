#include "cmaf_muxer.hpp"

#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "media_fixture.hpp"

using looplive::core::MediaPacket;
using looplive::core::MemoryFileBuilder;
using looplive::core::SharedBytes;
using looplive::packager::CmafTrackMuxer;
namespace lt = looplive::packager::testing;

namespace {

std::string box_type(const SharedBytes& bytes, size_t offset) {
  if (bytes.size() < offset + 8) return "";
  return std::string(reinterpret_cast<const char*>(bytes.data()) + offset + 4, 4);
}

// Top-level box types, in order.
std::vector<std::string> boxes(const SharedBytes& bytes) {
  std::vector<std::string> types;
  size_t offset = 0;
  while (offset + 8 <= bytes.size()) {
    const size_t size = (size_t{bytes[offset]} << 24) | (size_t{bytes[offset + 1]} << 16) |
                        (size_t{bytes[offset + 2]} << 8) | bytes[offset + 3];
    types.push_back(box_type(bytes, offset));
    if (size < 8) break;
    offset += size;
  }
  return types;
}

struct Muxed {
  SharedBytes init;
  std::vector<SharedBytes> fragments;
};

// Muxes one track of the clip, cutting a fragment at every keyframe.
Muxed mux_track(const lt::Demuxed& media, uint8_t track_index) {
  const auto* track = &media.tracks.front();
  for (const auto& t : media.tracks) {
    if (t.id == track_index) track = &t;
  }
  auto opened = CmafTrackMuxer::open(*track);
  REQUIRE(opened.ok());
  CmafTrackMuxer& muxer = *opened.value();
  Muxed out{muxer.init_segment(), {}};
  std::vector<const MediaPacket*> packets;
  for (const auto& p : media.packets) {
    if (p.track == track_index) packets.push_back(&p);
  }
  int64_t step = 0;
  for (size_t i = 0; i < packets.size(); ++i) {
    if (i > 0 && packets[i]->keyframe && track_index == 0) {
      MemoryFileBuilder fragment;
      REQUIRE(muxer.flush_fragment(fragment).ok());
      out.fragments.push_back(fragment.seal());
    }
    if (i + 1 < packets.size()) step = packets[i + 1]->dts - packets[i]->dts;
    REQUIRE(muxer.write(*packets[i], step).ok());
  }
  MemoryFileBuilder last;
  REQUIRE(muxer.flush_fragment(last).ok());
  out.fragments.push_back(last.seal());
  MemoryFileBuilder empty;
  REQUIRE(muxer.flush_fragment(empty).ok());
  CHECK(empty.size() == 0);
  return out;
}

std::vector<uint8_t> concatenated(const Muxed& muxed) {
  std::vector<uint8_t> all(muxed.init.span().begin(), muxed.init.span().end());
  for (const auto& f : muxed.fragments) all.insert(all.end(), f.span().begin(), f.span().end());
  return all;
}

}  // namespace

TEST_CASE("video muxes to an init segment and keyframe-aligned fragments", "[packager]") {
  const lt::Demuxed media = lt::demux_flv(lt::fixture("av"));
  const Muxed muxed = mux_track(media, 0);
  CHECK(boxes(muxed.init) == std::vector<std::string>{"ftyp", "moov"});
  REQUIRE(muxed.fragments.size() == 3);  // 6 s with 2 s GOPs
  for (const auto& fragment : muxed.fragments) {
    CHECK(boxes(fragment) == std::vector<std::string>{"moof", "mdat"});
  }

  looplive::test::ScratchDir dir("packager");
  const auto file = dir.path() / "video.mp4";
  looplive::test::write_bytes(file, concatenated(muxed));
  const auto probe = lt::run({"ffprobe", "-v", "error", "-show_entries", "packet=pts,dts,flags",
                              "-of", "csv=p=0", (file).string()});
  REQUIRE(probe.status == 0);
  // Every sample keeps its input timestamps, B-frame reordering included,
  // in the muxer's timescale: milliseconds scaled up past 10000.
  std::vector<std::string> expected;
  for (const auto& p : media.packets) {
    if (p.track != 0) continue;
    expected.push_back(std::to_string(p.pts * 16) + "," + std::to_string(p.dts * 16) + "," +
                       (p.keyframe ? "K_" : "__"));
  }
  std::vector<std::string> probed;
  std::istringstream lines(probe.output);
  for (std::string line; std::getline(lines, line);) probed.push_back(line);
  REQUIRE(expected.size() == 180);
  REQUIRE(probed.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO("sample " << i);
    CHECK(probed[i] == expected[i]);
  }
  CHECK(media.packets.front().pts > media.packets.front().dts);  // the clip has B-frames
}

TEST_CASE("audio muxes to a standalone CMAF track", "[packager]") {
  const lt::Demuxed media = lt::demux_flv(lt::fixture("av"));
  const Muxed muxed = mux_track(media, 1);
  CHECK(boxes(muxed.init) == std::vector<std::string>{"ftyp", "moov"});
  looplive::test::ScratchDir dir("packager");
  const auto file = dir.path() / "audio.mp4";
  looplive::test::write_bytes(file, concatenated(muxed));
  const auto probe = lt::run(
      {"ffprobe", "-v", "error", "-show_entries", "packet=pts", "-of", "csv=p=0", (file).string()});
  REQUIRE(probe.status == 0);
  std::vector<std::string> expected;
  for (const auto& p : media.packets) {
    if (p.track == 1) expected.push_back(std::to_string(p.pts * 48));
  }
  std::vector<std::string> probed;
  std::istringstream lines(probe.output);
  for (std::string line; std::getline(lines, line);) probed.push_back(line);
  CHECK(probed.size() > 250);
  CHECK(probed == expected);
  const auto decode =
      lt::run({"ffmpeg", "-nostdin", "-v", "error", "-i", (file).string(), "-f", "null", "-"});
  CHECK(decode.status == 0);
  CHECK(decode.output.empty());
}

TEST_CASE("the muxer refuses samples a fragment cannot hold", "[packager]") {
  const lt::Demuxed media = lt::demux_flv(lt::fixture("video"));
  auto opened = CmafTrackMuxer::open(media.tracks.front());
  REQUIRE(opened.ok());
  CmafTrackMuxer& muxer = *opened.value();
  MediaPacket packet = media.packets.front();
  packet.pts = packet.dts - 10;
  auto status = muxer.write(packet, 33);
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().message == "write packet: PTS before DTS");

  REQUIRE(muxer.write(media.packets[0], 33).ok());
  status = muxer.write(media.packets[0], 33);  // the same decode time again
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().message == "write packet: DTS not increasing");
  // What was accepted is still flushed whole.
  MemoryFileBuilder fragment;
  REQUIRE(muxer.flush_fragment(fragment).ok());
  CHECK(boxes(fragment.seal()) == std::vector<std::string>{"moof", "mdat"});
}

TEST_CASE("fragments number themselves and start at their first sample's decode time",
          "[packager]") {
  const lt::Demuxed media = lt::demux_flv(lt::fixture("av"));
  const Muxed muxed = mux_track(media, 0);
  REQUIRE(muxed.fragments.size() == 3);
  const auto u32 = [](const SharedBytes& b, size_t at) {
    return (uint32_t{b[at]} << 24) | (uint32_t{b[at + 1]} << 16) | (uint32_t{b[at + 2]} << 8) |
           b[at + 3];
  };
  std::vector<int64_t> keyframe_dts;
  for (const auto& p : media.packets) {
    if (p.track == 0 && p.keyframe) keyframe_dts.push_back(p.dts * 16);
  }
  for (size_t i = 0; i < muxed.fragments.size(); ++i) {
    const SharedBytes& f = muxed.fragments[i];
    // moof(8) mfhd(8 + 4 + sequence) traf(8) tfhd(16) tfdt(8 + 4 + 64-bit time)
    REQUIRE(box_type(f, 8) == "mfhd");
    CHECK(u32(f, 20) == i + 1);
    REQUIRE(box_type(f, 48) == "tfdt");
    const uint64_t tfdt = (uint64_t{u32(f, 60)} << 32) | u32(f, 64);
    CHECK(static_cast<int64_t>(tfdt) == keyframe_dts[i]);
  }
}
