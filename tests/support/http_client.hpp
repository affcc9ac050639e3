#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "manifest_checker.hpp"

namespace looplive::test {

struct HttpReply {
  int status = 0;  // 0: no answer (connection refused, closed or timed out)
  std::string body;
};

// A keep-alive HTTP/1.1 client for 127.0.0.1:port that reconnects whenever
// the server closed the connection.
class HttpClient {
 public:
  explicit HttpClient(uint16_t port);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpReply get(const std::string& target,
                std::chrono::milliseconds timeout = std::chrono::seconds(5));

 private:
  struct Connection;
  uint16_t port_;
  std::unique_ptr<Connection> connection_;
};

// Polls a live stream's playlists and MPD on its own thread until destroyed,
// feeding every answer to a ManifestChecker.
class ManifestWatcher {
 public:
  ManifestWatcher(uint16_t port, std::string stream_id, std::vector<std::string> files,
                  std::chrono::milliseconds interval);
  ~ManifestWatcher();  // stops and joins
  ManifestWatcher(const ManifestWatcher&) = delete;
  ManifestWatcher& operator=(const ManifestWatcher&) = delete;

  // Stops polling; what it saw stays.
  void stop();
  std::vector<std::string> problems();
  size_t versions(const std::string& file);

 private:
  std::mutex mutex_;
  ManifestChecker checker_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace looplive::test
