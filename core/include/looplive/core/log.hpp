#pragma once

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "looplive/core/config.hpp"

namespace looplive::core {

// Sets the default level, pattern and per-logger levels once, at start-up.
void init_logging(const LogConfig& config);
// A named logger ("ingest", "db", "packager", ...), created on first use.
std::shared_ptr<spdlog::logger> logger(const std::string& name);

}  // namespace looplive::core
