#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "looplive/core/config_section.hpp"

namespace looplive::db {

// The database: section of the configuration file.
struct DatabaseConfig {
  // libpq connection string; the environment variable LOOPLIVE_DATABASE_URL overrides it.
  std::string url = "host=127.0.0.1 port=5432 dbname=looplive user=postgres";
  std::chrono::milliseconds connect_timeout{2'000};

  bool operator==(const DatabaseConfig&) const = default;
};

void read_config(core::ConfigSection section, DatabaseConfig& config);

}  // namespace looplive::db
