#include "looplive/core/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <mutex>

#include "json_log_formatter.hpp"

namespace looplive::core {

namespace {

// Written by init_logging before any thread starts; its levels also by
// set_log_levels, under the mutex that logger() takes.
LogConfig g_config;
std::mutex g_creation;

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
  g_config = config;
  spdlog::set_level(spdlog::level::from_str(config.level));
  spdlog::apply_all(
      [](const std::shared_ptr<spdlog::logger>& existing) { apply_format(*existing); });
  for (const auto& [name, level] : config.loggers)
    logger(name)->set_level(spdlog::level::from_str(level));
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
  auto created = spdlog::stderr_color_mt(name);
  auto level = g_config.loggers.find(name);
  created->set_level(
      spdlog::level::from_str(level != g_config.loggers.end() ? level->second : g_config.level));
  apply_format(*created);
  return created;
}

}  // namespace looplive::core
