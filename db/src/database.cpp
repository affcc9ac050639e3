#include "looplive/db/database.hpp"

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "connection_pool.hpp"
#include "looplive/core/log.hpp"
#include "migration_list.hpp"

namespace looplive::db {

namespace {

// Enough for the blocking thread pool plus an occasional admin call; PostgreSQL
// connections are expensive, so this stays small.
constexpr size_t kPoolLimit = 8;
// One lock id for every looplive process sharing a database ("looplive" in ASCII).
constexpr std::string_view kMigrationLock = "7813586407156971109";

bool is_uri(std::string_view url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

std::string with_connect_timeout(std::string url, std::chrono::milliseconds timeout) {
  if (url.find("connect_timeout") != std::string::npos) return url;
  // libpq takes whole seconds and treats 0 as "wait forever".
  const auto seconds = std::max<long long>(1, (timeout.count() + 999) / 1000);
  const std::string setting = "connect_timeout=" + std::to_string(seconds);
  if (is_uri(url)) return url + (url.find('?') == std::string::npos ? "?" : "&") + setting;
  return url.empty() ? setting : url + " " + setting;
}

}  // namespace

Database::Database(const db::DatabaseConfig& config) {
  std::string url = config.url;
  // Nothing connects here: the server may come up after us, and the first
  // call that needs it opens the first connection.
  pool_ = std::make_unique<ConnectionPool>(
      with_connect_timeout(std::move(url), config.connect_timeout), kPoolLimit);
}

Database::~Database() = default;

std::unique_ptr<Listener> Database::listen(
    const std::string& channel, std::function<void(const std::string& payload)> on_notice) {
  return std::make_unique<Listener>(pool_->conninfo(), channel, std::move(on_notice));
}

void Database::migrate() {
  auto log = core::logger("db");
  pool_->run([&](pqxx::connection& connection) {
    const std::string lock = "SELECT pg_advisory_xact_lock(" + std::string(kMigrationLock) + ")";
    {
      // CREATE TABLE IF NOT EXISTS is not safe against a concurrent twin, hence the lock.
      pqxx::work txn(connection);
      txn.exec(lock);
      txn.exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations ("
          " version int PRIMARY KEY,"
          " name text NOT NULL,"
          " applied_at timestamptz NOT NULL DEFAULT now())");
      txn.commit();
    }
    for (const Migration& migration : migrations()) {
      pqxx::work txn(connection);
      txn.exec(lock);
      // Checked under the lock: another process may have applied it meanwhile.
      if (!txn.exec_params("SELECT 1 FROM schema_migrations WHERE version = $1", migration.version)
               .empty())
        continue;
      txn.exec(migration.sql);
      txn.exec_params("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                      migration.version, std::string(migration.name));
      txn.commit();
      log->info("applied migration {} ({})", migration.version, migration.name);
    }
  });
}

int Database::schema_version() {
  return pool_->run([](pqxx::connection& connection) {
    pqxx::work txn(connection);
    if (txn.exec("SELECT to_regclass('schema_migrations') IS NULL")[0][0].as<bool>()) return 0;
    return txn.exec("SELECT coalesce(max(version), 0) FROM schema_migrations")[0][0].as<int>();
  });
}

bool Database::ping() {
  try {
    return pool_->run([](pqxx::connection& connection) {
      pqxx::nontransaction txn(connection);
      return txn.exec("SELECT 1")[0][0].as<int>() == 1;
    });
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace looplive::db
