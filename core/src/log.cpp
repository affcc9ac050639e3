#include "looplive/core/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <mutex>

#include "json_log_formatter.hpp"

namespace looplive::core {

namespace {

LogConfig g_config;  // written once by init_logging before any thread starts

void apply_format(spdlog::logger& logger) {
  if (g_config.format == "json") {
    logger.set_formatter(std::make_unique<JsonLogFormatter>());
  } else {
    logger.set_pattern(g_config.pattern);
  }
}

}  // namespace

void init_logging(const LogConfig& config) {
  g_config = config;
  spdlog::set_level(spdlog::level::from_str(config.level));
  spdlog::apply_all(
      [](const std::shared_ptr<spdlog::logger>& existing) { apply_format(*existing); });
  for (const auto& [name, level] : config.loggers)
    logger(name)->set_level(spdlog::level::from_str(level));
}

std::shared_ptr<spdlog::logger> logger(const std::string& name) {
  static std::mutex creation;
  std::lock_guard lock(creation);
  if (auto existing = spdlog::get(name)) return existing;
  auto created = spdlog::stderr_color_mt(name);
  auto level = g_config.loggers.find(name);
  created->set_level(
      spdlog::level::from_str(level != g_config.loggers.end() ? level->second : g_config.level));
  apply_format(*created);
  return created;
}

}  // namespace looplive::core
