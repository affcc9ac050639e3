#pragma once

#include <string>
#include <utility>
#include <vector>

namespace looplive::app {

// What `looplive --version` prints: this build's version, then the FFmpeg,
// Boost and PostgreSQL client libraries it runs with, one per line.
std::string version_text();
// The same as labels, for looplive_build_info: version, ffmpeg, boost, libpq.
std::vector<std::pair<std::string, std::string>> build_info();

}  // namespace looplive::app
