#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include <atomic>
#include <cstdlib>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "connection_pool.hpp"
#include "error_code.hpp"
#include "looplive/db/database.hpp"
#include "looplive/db/stream_repository.hpp"
#include "migration_list.hpp"
#include "pg_cluster.hpp"

using looplive::core::ErrorCode;
using looplive::core::Failure;
using looplive::db::Database;
using looplive::db::StreamRepository;
using looplive::test::HasCode;
using looplive::test::PgCluster;

namespace {

int latest_version() {
  return looplive::db::migrations().back().version;
}

}  // namespace

TEST_CASE("migrations are embedded in version order") {
  const auto& list = looplive::db::migrations();
  REQUIRE_FALSE(list.empty());
  CHECK(list.front().version == 1);
  CHECK(std::string(list.front().name) == "0001_streams");
  for (size_t i = 1; i < list.size(); ++i) CHECK(list[i - 1].version < list[i].version);
}

TEST_CASE("migrate applies every migration once and is idempotent") {
  auto& cluster = PgCluster::shared();
  Database database(cluster.fresh_database("migrate_once"));
  CHECK(database.schema_version() == 0);

  database.migrate();
  CHECK(database.schema_version() == latest_version());
  database.migrate();
  CHECK(database.schema_version() == latest_version());

  pqxx::connection check(cluster.url() + " dbname=migrate_once");
  pqxx::work txn(check);
  CHECK(txn.exec("SELECT count(*) FROM schema_migrations")[0][0].as<size_t>() ==
        looplive::db::migrations().size());
  CHECK(txn.exec("SELECT count(*) FROM pg_tables WHERE tablename IN"
                 " ('streams', 'stream_keys', 'stream_events')")[0][0]
            .as<int>() == 3);
}

TEST_CASE("concurrent migrations from two Database objects both succeed") {
  auto& cluster = PgCluster::shared();
  const auto config = cluster.fresh_database("migrate_race");
  for (int round = 0; round < 3; ++round) {
    Database first(config);
    Database second(config);
    std::atomic<int> failures{0};
    std::string failure;
    std::vector<std::thread> threads;
    for (Database* database : {&first, &second}) {
      threads.emplace_back([database, &failures, &failure] {
        try {
          database->migrate();
        } catch (const std::exception& error) {
          if (failures.fetch_add(1) == 0) failure = error.what();
        }
      });
    }
    for (auto& thread : threads) thread.join();
    INFO(failure);
    CHECK(failures == 0);
    CHECK(first.schema_version() == latest_version());
    CHECK(second.schema_version() == latest_version());
  }
}

TEST_CASE("ping and calls fail with Unavailable while the server is down, then recover") {
  auto& cluster = PgCluster::shared();
  Database database(cluster.config());
  database.migrate();
  StreamRepository streams(database);
  const auto created = streams.create(std::nullopt, false);
  REQUIRE(database.ping());
  REQUIRE(database.pool().idle_count() >= 1);

  {
    PgCluster::StartOnExit restart{cluster};
    cluster.stop();
    CHECK_FALSE(database.ping());
    try {
      streams.find_by_key(created.key);
      FAIL("find_by_key succeeded with the server stopped");
    } catch (const Failure& error) {
      CHECK(error.code() == ErrorCode::unavailable);
      CHECK(std::string(error.what()) == "database unreachable: connection refused");
    }
    CHECK_THROWS_MATCHES(streams.create(std::nullopt, false), Failure,
                         HasCode(ErrorCode::unavailable));
    CHECK_THROWS_MATCHES(
        streams.set_status(created.stream.id, looplive::db::StreamStatus::live, "x"), Failure,
        HasCode(ErrorCode::unavailable));
    CHECK_THROWS_MATCHES(database.schema_version(), Failure, HasCode(ErrorCode::unavailable));
    CHECK(database.pool().open_count() == 0);
  }

  // Same Database object: the pool reconnects by itself.
  REQUIRE(cluster.running());
  CHECK(database.ping());
  const auto match = streams.find_by_key(created.key);
  REQUIRE(match);
  CHECK(match->stream_id == created.stream.id);
}

TEST_CASE("idle connections killed by a restart are replaced without an error") {
  auto& cluster = PgCluster::shared();
  Database database(cluster.config());
  database.migrate();
  StreamRepository streams(database);
  const auto created = streams.create(std::nullopt, true);
  REQUIRE(database.pool().idle_count() >= 1);
  {
    PgCluster::StartOnExit restart{cluster};
    cluster.stop();
  }
  // The idle connection died with the old server; the caller must not notice.
  const auto match = streams.find_by_key(created.key);
  REQUIRE(match);
  CHECK(match->record);
}

TEST_CASE("Unavailable messages leave the connection string out") {
  auto& cluster = PgCluster::shared();
  auto config = cluster.config();
  config.url += " password=hunter2-secret";
  Database database(config);
  PgCluster::StartOnExit restart{cluster};
  cluster.stop();
  try {
    database.schema_version();
    FAIL("schema_version succeeded with the server stopped");
  } catch (const Failure& error) {
    CHECK(error.code() == ErrorCode::unavailable);
    const std::string message = error.what();
    CHECK(message.find("hunter2") == std::string::npos);
    CHECK(message.rfind("database unreachable: ", 0) == 0);
  }
}

TEST_CASE("URI connection strings get a connect timeout too") {
  auto& cluster = PgCluster::shared();
  auto config = cluster.config();
  config.url = "postgresql://postgres@127.0.0.1:" + std::to_string(cluster.port()) + "/looplive";
  CHECK(Database(config).ping());
  config.url += "?application_name=looplive_test";
  CHECK(Database(config).ping());
}

TEST_CASE("concurrent callers share a bounded pool") {
  auto& cluster = PgCluster::shared();
  Database database(cluster.config());
  database.migrate();
  StreamRepository streams(database);
  const auto created = streams.create(std::nullopt, false);
  std::atomic<int> found{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 10; ++j) {
        if (streams.find_by_key(created.key)) ++found;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(found == 160);
  CHECK(database.pool().open_count() <= 8);
  CHECK(database.pool().open_count() == database.pool().idle_count());
}

TEST_CASE("unreachable_message keeps the reason only") {
  using looplive::db::unreachable_message;
  CHECK(unreachable_message("connection to server at \"127.0.0.1\", port 5432 failed: Connection "
                            "refused\n\tIs the server running on that host?\n") ==
        "database unreachable: connection refused");
  CHECK(unreachable_message("server closed the connection unexpectedly\n\tThis probably means") ==
        "database unreachable: server closed the connection unexpectedly");
  CHECK(unreachable_message("FATAL:  terminating connection due to administrator command\n") ==
        "database unreachable: FATAL:  terminating connection due to administrator command");
  CHECK(unreachable_message("") == "database unreachable: connection failed");
}
