#pragma once

// Packaging a fixture through a Packager into a temporary media root, and
// reading back what it wrote.

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "looplive/core/packet_sink.hpp"
#include "looplive/packager/config.hpp"
#include "looplive/packager/packager.hpp"
#include "media_fixture.hpp"

namespace looplive::packager::testing {

constexpr int64_t kNoon = 1714564800000;  // 2024-05-01T12:00:00Z

struct Listed {
  double seconds = 0;
  std::string uri;
};

inline std::string text_of(const fs::path& path) {
  const auto bytes = test::read_bytes(path);
  return {bytes.begin(), bytes.end()};
}

inline size_t count_of(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

inline std::vector<Listed> segments_of(const fs::path& playlist) {
  std::vector<Listed> out;
  std::istringstream lines(text_of(playlist));
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("#EXTINF:", 0) == 0) {
      Listed entry;
      entry.seconds = std::stod(line.substr(8));
      std::getline(lines, entry.uri);
      out.push_back(entry);
    }
  }
  return out;
}

inline double total_seconds(const std::vector<Listed>& segments) {
  double total = 0;
  for (const auto& s : segments) total += s.seconds;
  return total;
}

// Span of one track in the source: first DTS to last DTS plus one sample.
inline double source_seconds(const Demuxed& media, uint8_t track) {
  int64_t first = -1;
  int64_t last = 0;
  int64_t step = 0;
  for (const auto& p : media.packets) {
    if (p.track != track) continue;
    if (first < 0) first = p.dts;
    step = p.dts - last;
    last = p.dts;
  }
  return static_cast<double>(last + step - first) / 1000;
}

// From the earliest packet of any track to the latest end of any track.
inline double timeline_seconds(const Demuxed& media) {
  int64_t first = INT64_MAX;
  int64_t end = INT64_MIN;
  for (const uint8_t track : {kVideoTrack, kAudioTrack}) {
    int64_t last = -1;
    int64_t step = 0;
    for (const auto& p : media.packets) {
      if (p.track != track) continue;
      first = std::min(first, p.dts);
      if (last >= 0) step = p.dts - last;
      last = p.dts;
    }
    if (last >= 0) end = std::max(end, last + step);
  }
  return first == INT64_MAX ? 0 : static_cast<double>(end - first) / 1000;
}

inline CommandResult decode(const fs::path& entry) {
  return run({"ffmpeg", "-nostdin", "-v", "error", "-i", (entry).string(), "-f", "null", "-"});
}

// ffmpeg decodes the playlist, MPD or file to the end without a complaint.
inline void check_decodes_clean(const fs::path& entry) {
  const auto decoded = decode(entry);
  INFO(entry.string() << ": " << decoded.output);
  CHECK(decoded.status == 0);
  CHECK(decoded.output.empty());
}

struct Run {
  test::ScratchDir root{"packager"};
  packager::PackagerConfig config;
  PackagerOptions options;
  Run() {
    config.media_root = root.path().string();
    config.write_live_to_disk = true;  // most tests read the live files
    options.clock = [] { return kNoon; };
  }
  fs::path live(const std::string& id) const { return root.path() / "live" / id; }
  fs::path vods() const { return root.path() / "vods"; }
};

inline void feed(core::PacketSink& sink, const Demuxed& media) {
  for (const auto& track : media.tracks) sink.on_track(track);
  for (const auto& packet : media.packets) sink.on_packet(packet);
}

}  // namespace looplive::packager::testing
