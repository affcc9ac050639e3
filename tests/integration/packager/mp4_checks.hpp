#pragma once

// What the tests check of a finished MP4: its duration, its packets and
// whether its index comes before its media.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "media_fixture.hpp"

namespace looplive::packager::testing {

inline double mp4_duration(const fs::path& path) {
  const auto probe = run({"ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
                          "csv=p=0", (path).string()});
  return probe.status == 0 ? std::stod(probe.output) : -1;
}

inline int packet_count(const fs::path& path, const std::string& stream) {
  const auto probe =
      run({"ffprobe", "-v", "error", "-count_packets", "-select_streams", stream, "-show_entries",
           "stream=nb_read_packets", "-of", "csv=p=0", path.string()});
  return probe.status == 0 ? std::stoi(probe.output) : -1;
}

// The file's top-level box types in order, from each box's size and type.
inline std::vector<std::string> top_level_boxes(const fs::path& path) {
  std::vector<std::string> out;
  std::ifstream in(path, std::ios::binary);
  const auto file_size = static_cast<uint64_t>(fs::file_size(path));
  uint64_t at = 0;
  while (at + 8 <= file_size) {
    unsigned char header[16] = {};
    in.seekg(static_cast<std::streamoff>(at));
    in.read(reinterpret_cast<char*>(header), 16);
    uint64_t size = (uint64_t{header[0]} << 24) | (uint64_t{header[1]} << 16) |
                    (uint64_t{header[2]} << 8) | header[3];
    if (size == 1) {
      size = 0;
      for (int i = 8; i < 16; ++i) size = (size << 8) | header[i];
    } else if (size == 0) {
      size = file_size - at;
    }
    out.emplace_back(reinterpret_cast<const char*>(header + 4), 4);
    if (size < 8) break;
    at += size;
  }
  return out;
}

inline bool faststart(const fs::path& path) {
  const auto boxes = top_level_boxes(path);
  const auto position = [&](const std::string& type) {
    for (size_t i = 0; i < boxes.size(); ++i) {
      if (boxes[i] == type) return static_cast<int>(i);
    }
    return -1;
  };
  return position("moov") >= 0 && position("mdat") > position("moov");
}

}  // namespace looplive::packager::testing
