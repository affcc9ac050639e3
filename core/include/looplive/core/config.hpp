#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "looplive/core/config_section.hpp"

namespace looplive::core {

// Plain aggregates: the default member initializers are the single source of
// defaults, and conf/looplive.yaml documents each key.
struct ServerConfig {
  unsigned io_threads = 0;        // 0: one per core
  unsigned blocking_threads = 2;  // database queries, file writes, webhooks

  bool operator==(const ServerConfig&) const = default;
};

struct LogConfig {
  std::string level = "info";   // trace, debug, info, warn, error, critical, off
  std::string format = "text";  // text (with `pattern`) or json: one JSON object per line
  std::string pattern = "%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v";
  std::map<std::string, std::string> loggers;  // per logger name: level
  // Lines below warn written to a non-terminal stderr in batches (at most a
  // second late); false writes each line as it comes.
  bool buffered = true;

  bool operator==(const LogConfig&) const = default;
};

void read_config(ConfigSection section, ServerConfig& config);
void read_config(ConfigSection section, LogConfig& config);

}  // namespace looplive::core
