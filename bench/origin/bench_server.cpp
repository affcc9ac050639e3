#include <cstdlib>
#include <iostream>

#include "looplive/core/log.hpp"
#include "origin_harness.hpp"

using namespace looplive::origin;
using namespace looplive::origin::test;

namespace {

std::string env(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

// Every file of every stream under <root>/live, in memory, as the packager would hold them.
void load_live_streams(const std::string& root, MapSource& source) {
  for (const auto& stream : std::filesystem::directory_iterator(root + "/live")) {
    if (!stream.is_directory()) continue;
    for (const auto& file : std::filesystem::directory_iterator(stream.path())) {
      std::ifstream in(file.path(), std::ios::binary);
      std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                 std::istreambuf_iterator<char>());
      const std::string etag = "\"bench-" + std::to_string(bytes.size()) + "\"";
      // Media segments live in in-memory files, as the packager keeps them.
      looplive::core::SharedBytes held;
      if (file.path().extension() == ".m4s") {
        looplive::core::MemoryFileBuilder in_memory;
        in_memory.append(bytes);
        held = in_memory.seal();
      } else {
        held = looplive::core::SharedBytes(std::move(bytes));
      }
      source.put(stream.path().filename(), file.path().filename(), std::move(held), etag);
    }
  }
}

}  // namespace

// The origin bench/origin/run measures, on the test harness's stand-in live source.
// LOOPLIVE_BENCH_ROOT: the media root; LOOPLIVE_BENCH_PORT; LOOPLIVE_BENCH_THREADS;
// LOOPLIVE_BENCH_MEMORY=1 serves live/<id>/* from memory instead of disk;
// it stops when the file LOOPLIVE_BENCH_STOP appears.
int main() {
  std::string root = env("LOOPLIVE_BENCH_ROOT", "");
  if (root.empty()) {
    std::cerr << "LOOPLIVE_BENCH_ROOT is not set; see bench/origin/run\n";
    return 2;
  }
  // One line per request would cost more than the request (nginx runs with access_log off too).
  looplive::core::logger("origin")->set_level(spdlog::level::warn);

  MapSource source;
  if (env("LOOPLIVE_BENCH_MEMORY", "0") == "1") load_live_streams(root, source);
  OriginConfig config;
  config.host = "127.0.0.1";
  config.port = uint16_t(std::stoi(env("LOOPLIVE_BENCH_PORT", "8080")));
  config.media_root = root;
  config.limits.max_connections = 30000;
  config.limits.max_connections_per_ip = 30000;  // wrk connects from one address
  config.limits.idle_timeout = std::chrono::seconds(120);
  RunningOrigin origin(config, source, {}, unsigned(std::stoi(env("LOOPLIVE_BENCH_THREADS", "2"))));
  std::cout << "origin listening on 127.0.0.1:" << origin.port() << std::endl;

  std::string stop = env("LOOPLIVE_BENCH_STOP", "/nonexistent/stop");
  while (!std::filesystem::exists(stop))
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto stats = origin.service().figures();
  std::cout << "responses " << stats.responses() << ", refused " << stats.connections_refused
            << ", timeouts " << stats.timeouts << std::endl;
  return 0;
}
