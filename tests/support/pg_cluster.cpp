#include "pg_cluster.hpp"

#include <catch2/catch.hpp>

#include "process.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace looplive::test {

namespace {

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'')
      quoted += "'\\''";
    else
      quoted += c;
  }
  return quoted + "'";
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The kernel hands out an unused port for port 0; PostgreSQL binds it right after.
uint16_t free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int error = errno;
    ::close(fd);
    throw std::system_error(error, std::generic_category(), "bind 127.0.0.1:0");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

std::filesystem::path make_root() {
  const char* scratch = std::getenv("LOOPLIVE_TEST_SCRATCH");
  std::string pattern =
      std::string(scratch != nullptr && *scratch != '\0' ? scratch : "/tmp") + "/pg-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr)
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  // As root the server runs as postgres, which must be able to reach its data directory.
  if (::chmod(buffer.data(), 0755) != 0)
    throw std::system_error(errno, std::generic_category(), "chmod " + pattern);
  return buffer.data();
}

}  // namespace

PgCluster::PgCluster() : root_(make_root()), data_dir_(root_ / "pg") {
  try {
    port_ = free_loopback_port();
    start();
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
    throw;
  }
}

PgCluster::~PgCluster() {
  try {
    stop();
  } catch (...) {
    // A failed stop must not prevent removing what can be removed.
  }
  std::error_code ignored;
  std::filesystem::remove_all(root_, ignored);
}

void PgCluster::start() {
  if (running_) return;
  run_script("start", true);
  running_ = true;
}

void PgCluster::stop() {
  if (!running_) return;
  run_script("stop", false);
  running_ = false;
}

void PgCluster::run_script(const std::string& command, bool with_port) {
  const std::filesystem::path output = root_ / "pg-cluster.out";
  std::string line = shell_quote(LOOPLIVE_SOURCE_DIR "/scripts/pg-cluster") + " " + command + " " +
                     shell_quote(data_dir_.string());
  if (with_port) line += " " + std::to_string(port_);
  line += " >" + shell_quote(output.string()) + " 2>&1 </dev/null";
  const int status = std::system(line.c_str());
  if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  std::string message = "pg-cluster " + command + " " + data_dir_.string() + " failed";
  if (status == -1)
    message += ": " + std::string(std::strerror(errno));
  else if (WIFEXITED(status))
    message += " with exit status " + std::to_string(WEXITSTATUS(status));
  else
    message += " (killed by a signal)";
  message += "\n" + read_text(output);
  // pg_ctl only says "could not start server"; the reason is in the server log.
  std::error_code ignored;
  if (const auto log = data_dir_ / "server.log"; std::filesystem::exists(log, ignored))
    message += "\nserver.log:\n" + read_text(log);
  throw std::runtime_error(message);
}

std::string PgCluster::url() const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=looplive user=postgres";
}

db::DatabaseConfig PgCluster::fresh_database(const std::string& name) const {
  const std::string port = std::to_string(port_);
  for (const char* statement : {"DROP DATABASE IF EXISTS ", "CREATE DATABASE "}) {
    std::string output;
    if (run_command({"psql", "-q", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-d",
                     "postgres", "-c", statement + name},
                    &output) != 0)
      throw std::runtime_error("cannot create database " + name + ": " + output);
  }
  db::DatabaseConfig database = config();
  database.url = "host=127.0.0.1 port=" + port + " dbname=" + name + " user=postgres";
  return database;
}

PgCluster::StartOnExit::~StartOnExit() {
  try {
    cluster.start();
  } catch (const std::exception& error) {
    WARN("could not restart the cluster: " << error.what());
  }
}

db::DatabaseConfig PgCluster::config() const {
  db::DatabaseConfig config;
  config.url = url();
  config.connect_timeout = std::chrono::milliseconds(2000);
  return config;
}

PgCluster& PgCluster::shared() {
  static PgCluster cluster;
  cluster.start();
  return cluster;
}

}  // namespace looplive::test
