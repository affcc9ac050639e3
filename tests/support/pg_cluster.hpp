#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "looplive/db/config.hpp"

namespace looplive::test {

// A private PostgreSQL cluster (scripts/pg-cluster) in a fresh directory under
// $LOOPLIVE_TEST_SCRATCH (or /tmp), on a free loopback port, with an empty
// "looplive" database. Destroying it stops the server and deletes its files.
class PgCluster {
 public:
  PgCluster();  // throws std::runtime_error, with the script's output, when the cluster cannot
                // start
  ~PgCluster();
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  void stop();   // no-op when stopped
  void start();  // same directory and port; no-op when running
  bool running() const { return running_; }

  db::DatabaseConfig config() const;
  // A database of its own in this cluster, dropped and created anew, so a
  // test sees no other test's rows.
  db::DatabaseConfig fresh_database(const std::string& name) const;

  // Starts the cluster again when it leaves scope, even if the test that
  // stopped it failed on the way.
  struct StartOnExit {
    PgCluster& cluster;
    ~StartOnExit();
  };
  std::string url() const;
  uint16_t port() const { return port_; }
  const std::filesystem::path& data_dir() const { return data_dir_; }

  // One cluster per test executable, created on first use, (re)started on
  // every call, stopped and removed at exit.
  static PgCluster& shared();

 private:
  void run_script(const std::string& command, bool with_port);

  std::filesystem::path root_;  // the mkdtemp directory holding everything
  std::filesystem::path data_dir_;
  uint16_t port_ = 0;
  bool running_ = false;
};

}  // namespace looplive::test
