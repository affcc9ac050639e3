#pragma once

#include <vector>

namespace looplive::db {

// One migrations/NNNN_name.sql file, compiled in by embed_migrations.cmake.
struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// Every migration, in ascending version order.
const std::vector<Migration>& migrations();

}  // namespace looplive::db
