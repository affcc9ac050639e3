#pragma once

// Starts the real server in-process (real PostgreSQL, real RTMP listener) with
// a sink that records what ingest delivered, and runs real encoders against it.

#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include <spdlog/sinks/ostream_sink.h>

#include "looplive/core/log.hpp"
#include "looplive/db/stream_repository.hpp"
#include "pg_cluster.hpp"
#include "process.hpp"
#include "recording_sink.hpp"
#include "server.hpp"

namespace looplive::test {

inline app::Config test_config(PgCluster& pg) {
  app::Config config;
  config.server.io_threads = 2;
  config.rtmp.host = "127.0.0.1";
  config.rtmp.port = 0;  // the kernel picks every port; read back with rtmp_port() etc.
  config.api.port = 0;
  config.origin.port = 0;
  config.rtmp.stats_interval = std::chrono::milliseconds(1000);
  config.database = pg.config();
  config.log.level = "info";
  return config;
}

// Collects what the named loggers write, so tests can check log lines.
// Create it before any server and destroy it after: spdlog's sink lists are
// not safe to change while other threads log.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_)) {
    for (const char* name : {"ingest", "db", "app"}) core::logger(name)->sinks().push_back(sink_);
  }
  ~LogCapture() {
    for (const char* name : {"ingest", "db", "app"}) {
      auto& sinks = core::logger(name)->sinks();
      std::erase(sinks, sink_);
    }
  }
  std::string text() {
    sink_->flush();
    return stream_.str();
  }

 private:
  std::ostringstream stream_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

struct TestServer {
  explicit TestServer(app::Config config) : server(config, &sinks) { server.start(); }
  ~TestServer() { server.stop(); }

  std::string url(const std::string& key) const {
    return "rtmp://127.0.0.1:" + std::to_string(server.rtmp_port()) + "/live/" + key;
  }
  db::CreatedStream create_stream(bool record = false) {
    return server.streams().create(std::nullopt, record);
  }

  // Waits until `stream_id` has a publisher (or not), up to `timeout`.
  bool wait_live(const std::string& stream_id, bool live,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (server.registry().is_live(stream_id) == live) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  RecordingSinkFactory sinks;
  app::Server server;
};

inline std::vector<std::string> ffmpeg_publish(const std::string& fixture, const std::string& url) {
  return {"ffmpeg", "-hide_banner", "-loglevel", "info", "-nostdin", "-re", "-i",
          fixture,  "-c",           "copy",      "-f",   "flv",      url};
}

}  // namespace looplive::test
