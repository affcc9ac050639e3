#include "looplive/db/config.hpp"

namespace looplive::db {

void read_config(core::ConfigSection s, DatabaseConfig& c) {
  s.read("url", c.url);
  if (auto url = s.environment("LOOPLIVE_DATABASE_URL")) c.url = *url;
  s.read_ms("connect_timeout_ms", c.connect_timeout, 100, 60'000);
  s.finish();
}

}  // namespace looplive::db
