#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "looplive/core/config.hpp"

namespace looplive::core {

// Sets the default level, pattern and per-logger levels once, at start-up.
void init_logging(const LogConfig& config);
// Changes the default and per-logger levels of a running process (a reload);
// the format and pattern stay as init_logging set them.
void set_log_levels(const LogConfig& config);
// Writes out every line still gathered in a batch (stderr that is not a
// terminal batches lines below warn). Call before the process exits: the
// last lines, the shutdown's, would otherwise be lost.
void flush_logs();
// A named logger ("ingest", "db", "packager", ...), created on first use.
std::shared_ptr<spdlog::logger> logger(const std::string& name);
// How every log line about a stream begins, in ingest, the packager and the
// lifecycle alike, so one search finds them all: "[stream=ID conn=N]", either
// part left out when unknown (0 is no connection).
std::string log_context(std::string_view stream_id, uint64_t connection_id = 0);

}  // namespace looplive::core
