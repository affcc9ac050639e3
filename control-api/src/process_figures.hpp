#pragma once

#include <optional>

namespace looplive::control_api {

// This process as the Prometheus client libraries describe theirs
// (process_cpu_seconds_total, process_resident_memory_bytes, ...), read from
// /proc at each scrape; nothing where /proc cannot be read.
struct ProcessFigures {
  double cpu_seconds = 0;     // user and system
  double resident_bytes = 0;  // in-memory segment files are not in it: they are not mapped
  double virtual_bytes = 0;
  double open_fds = 0;
  double max_fds = 0;
  double start_time_seconds = 0;  // Unix time
  double memory_file_bytes = 0;   // segments and parts in in-memory files (core::memory_file_bytes)
};

std::optional<ProcessFigures> read_process_figures();

}  // namespace looplive::control_api
