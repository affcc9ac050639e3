// looplive: RTMP ingest, HLS/DASH packaging and a control API for live shopping.
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "config.hpp"
#include "looplive/core/log.hpp"
#include "looplive/db/database.hpp"
#include "looplive/db/stream_repository.hpp"
#include "server.hpp"
#include "version.hpp"

namespace {

constexpr const char* kUsage =
    R"(usage: looplive [--config FILE]            run the server (default conf/looplive.yaml)
       looplive --check-config FILE       validate a configuration file and exit
       looplive --config FILE --create-stream [--record]
                                          create a stream, print its id and key as JSON, exit
       --env-file FILE                    with any of these: LOOPLIVE_ variables from FILE
                                          (NAME=value lines) instead of the environment,
                                          read again on SIGHUP
       looplive --version                 print the version and the libraries' versions
       looplive --help
)";

int check_config(const std::string& path, const std::string& environment_file) {
  try {
    looplive::app::load_config(path, environment_file);
    std::cout << path << ": ok\n";
    return 0;
  } catch (const looplive::core::ConfigError& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}

// For the demo set-up: the key is printed once, to the operator's terminal,
// and only its hash is stored.
int create_stream(const looplive::app::Config& config, bool record) {
  looplive::db::Database database(config.database);
  database.migrate();
  looplive::db::StreamRepository streams(database);
  auto created = streams.create(std::nullopt, record);
  nlohmann::json out{
      {"streamId", created.stream.id}, {"streamKey", created.key}, {"record", record}};
  std::cout << out.dump() << "\n";
  return 0;
}

// Every connection and every live segment held in memory (an in-memory file)
// takes a descriptor: use all the system allows, as nginx's
// worker_rlimit_nofile would. Segments fall back to plain memory beyond it.
void raise_open_files_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  const rlim_t was = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) == 0)
    looplive::core::logger("app")->info("open files limit raised from {} to {}", was,
                                        limit.rlim_max);
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path = "conf/looplive.yaml";
  std::string environment_file;
  std::optional<std::string> check_path;
  bool want_stream = false;
  bool record = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (arg == "--version") {
      std::cout << looplive::app::version_text();
      return 0;
    } else if (arg == "--check-config" && i + 1 < argc) {
      check_path = argv[++i];
    } else if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg == "--env-file" && i + 1 < argc) {
      environment_file = argv[++i];
    } else if (arg == "--create-stream") {
      want_stream = true;
    } else if (arg == "--record") {
      record = true;
    } else {
      std::cerr << "looplive: unknown argument '" << arg << "'\n" << kUsage;
      return 2;
    }
  }

  if (check_path) return check_config(*check_path, environment_file);

  looplive::app::Config config;
  try {
    config = looplive::app::load_config(config_path, environment_file);
  } catch (const looplive::core::ConfigError& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  looplive::core::init_logging(config.log);
  // However main returns, the shutdown's own lines (the drain, the last
  // segments, "looplive stopped") reach the log, batched or not.
  struct FlushLogsAtExit {
    ~FlushLogsAtExit() { looplive::core::flush_logs(); }
  } flush_logs_at_exit;
  // A viewer or encoder hanging up mid-write must cost one connection, never the process.
  std::signal(SIGPIPE, SIG_IGN);
  raise_open_files_limit();

  try {
    if (want_stream) return create_stream(config, record);
    looplive::app::Server server(config);
    server.set_config_source([config_path, environment_file] {
      return looplive::app::load_config(config_path, environment_file);
    });
    server.start();
    server.wait();
    server.stop();
    return 0;
  } catch (const std::exception& e) {
    looplive::core::logger("app")->critical("{}", e.what());
    return 1;
  }
}
