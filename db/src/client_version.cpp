#include <libpq-fe.h>

#include <pqxx/version>
#include <string>

#include "looplive/db/database.hpp"

namespace looplive::db {

std::string client_version() {
  // PQlibVersion(): major * 10000 + minor since PostgreSQL 10.
  const int libpq = PQlibVersion();
  return "libpq " + std::to_string(libpq / 10000) + "." + std::to_string(libpq % 10000) +
         ", libpqxx " + PQXX_VERSION;
}

}  // namespace looplive::db
