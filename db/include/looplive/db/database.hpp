#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "looplive/core/error.hpp"
#include "looplive/db/config.hpp"
#include "looplive/db/listener.hpp"

namespace looplive::db {

// Calls that cannot reach the database (connection refused, lost, timed out)
// throw core::Failure with ErrorCode::unavailable.
class ConnectionPool;

// PostgreSQL through libpqxx. libpqxx connections are not thread-safe, so each
// call borrows a connection of its own from a small pool for its duration;
// broken connections are dropped and re-opened on the next call, so the
// database coming back needs no restart. All calls block: run them on the
// blocking thread pool, never on an I/O thread.
class Database {
 public:
  explicit Database(const db::DatabaseConfig& config);
  ~Database();

  // Applies the versioned migrations that are not applied yet, each in its
  // own transaction, under an advisory lock so two processes cannot race.
  void migrate();
  int schema_version();
  bool ping();  // true when a trivial query succeeds

  ConnectionPool& pool() { return *pool_; }
  // Notifications on `channel`, on a connection of their own (see Listener).
  std::unique_ptr<Listener> listen(const std::string& channel,
                                   std::function<void(const std::string& payload)> on_notice);

 private:
  std::unique_ptr<ConnectionPool> pool_;
};

// The PostgreSQL client libraries in use: "libpq 15.10, libpqxx 6.4.5".
std::string client_version();

}  // namespace looplive::db
