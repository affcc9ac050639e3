#include "looplive/core/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <unistd.h>

#include <mutex>

#include "batched_stderr_sink.hpp"
#include "json_log_formatter.hpp"

namespace looplive::core {

namespace {

// Written by init_logging before any thread starts; its levels also by
// set_log_levels, under the mutex that logger() takes.
LogConfig g_config;
bool g_initialised = false;  // before init_logging (tests, start-up), lines are not held
std::mutex g_creation;

// One stderr for every logger: colours and each line at once on a terminal,
// batches otherwise. Made on first use, under g_creation.
std::shared_ptr<BatchedStderrSink> g_batched;
spdlog::sink_ptr g_stderr;

spdlog::sink_ptr stderr_sink() {
  if (!g_stderr) {
    if (::isatty(STDERR_FILENO)) {
      g_stderr = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    } else {
      g_batched = std::make_shared<BatchedStderrSink>();
      g_batched->set_buffered(g_initialised && g_config.buffered);
      g_stderr = g_batched;
    }
  }
  return g_stderr;
}

void apply_format(spdlog::logger& logger) {
  if (g_config.format == "json") {
    logger.set_formatter(std::make_unique<JsonLogFormatter>());
  } else {
    logger.set_pattern(g_config.pattern);
  }
}

}  // namespace

std::string log_context(std::string_view stream_id, uint64_t connection_id) {
  std::string text = "[";
  if (!stream_id.empty()) text += "stream=" + std::string(stream_id);
  if (connection_id != 0) {
    if (!stream_id.empty()) text += ' ';
    text += "conn=" + std::to_string(connection_id);
  }
  return text + "]";
}

void init_logging(const LogConfig& config) {
  {
    std::lock_guard lock(g_creation);
    g_config = config;
    g_initialised = true;
    if (g_batched) g_batched->set_buffered(config.buffered);
  }
  if (config.buffered) spdlog::flush_every(std::chrono::seconds(1));
  spdlog::set_level(spdlog::level::from_str(config.level));
  spdlog::apply_all(
      [](const std::shared_ptr<spdlog::logger>& existing) { apply_format(*existing); });
  for (const auto& [name, level] : config.loggers)
    logger(name)->set_level(spdlog::level::from_str(level));
}

void flush_logs() {
  spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& existing) { existing->flush(); });
}

void set_log_levels(const LogConfig& config) {
  std::lock_guard lock(g_creation);
  g_config.level = config.level;
  g_config.loggers = config.loggers;
  spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& existing) {
    const auto own = g_config.loggers.find(existing->name());
    existing->set_level(
        spdlog::level::from_str(own != g_config.loggers.end() ? own->second : g_config.level));
  });
}

std::shared_ptr<spdlog::logger> logger(const std::string& name) {
  std::lock_guard lock(g_creation);
  if (auto existing = spdlog::get(name)) return existing;
  auto created = std::make_shared<spdlog::logger>(name, stderr_sink());
  spdlog::register_logger(created);
  auto level = g_config.loggers.find(name);
  created->set_level(
      spdlog::level::from_str(level != g_config.loggers.end() ? level->second : g_config.level));
  apply_format(*created);
  return created;
}

}  // namespace looplive::core
