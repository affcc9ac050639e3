#pragma once

#include <string>

namespace looplive::app {

// What `looplive --version` prints: this build's version, then the FFmpeg,
// Boost and PostgreSQL client libraries it runs with, one per line.
std::string version_text();

}  // namespace looplive::app
