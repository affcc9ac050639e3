#include "looplive/core/config.hpp"

namespace looplive::core {

void read_config(ConfigSection s, ServerConfig& c) {
  s.read_int("io_threads", c.io_threads, 0, 64);
  s.read_int("blocking_threads", c.blocking_threads, 1, 64);
  s.finish();
}

void read_config(ConfigSection s, LogConfig& c) {
  s.read_level("level", c.level);
  s.read("format", c.format);
  if (c.format != "text" && c.format != "json")
    s.fail(s.key_path("format"), "must be text or json");
  s.read("pattern", c.pattern);
  s.read_levels("loggers", c.loggers);
  s.read_bool("buffered", c.buffered);
  s.finish();
}

}  // namespace looplive::core
