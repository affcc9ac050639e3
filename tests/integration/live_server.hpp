#pragma once

// The whole server in-process with a real PostgreSQL and the origin on a
// free port, for tests that play or poll what viewers get.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "ingest_harness.hpp"
#include "looplive/packager/packager.hpp"
#include "media_fixture.hpp"

namespace looplive::test {

struct LiveServer {
  // `adjust` changes the test configuration before the server starts.
  explicit LiveServer(const std::function<void(app::Config&)>& adjust = [](app::Config&) {})
      : media_root(make_scratch_dir("media")) {
    app::Config config = test_config(PgCluster::shared());
    config.packager.media_root = media_root;
    adjust(config);
    server = std::make_unique<app::Server>(config);
    server->start();
  }
  ~LiveServer() { server->stop(); }

  std::string rtmp(const std::string& key) const {
    return "rtmp://127.0.0.1:" + std::to_string(server->rtmp_port()) + "/live/" + key;
  }
  std::string http(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server->origin_port()) + path;
  }
  // Waits until the live multivariant playlist is served.
  bool wait_playable(const std::string& id) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      auto view = server->packager()->view(id);
      if (view && !view->multivariant.empty()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  std::string media_root;
  std::unique_ptr<app::Server> server;
};

}  // namespace looplive::test
