#pragma once

// A real OriginService on a loopback port, with an in-memory LiveSource, a
// fake clock, a scratch media root and a small blocking HTTP/1.1 client that
// sends exactly the bytes a test gives it.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "looplive/origin/origin_service.hpp"
#include "process.hpp"

namespace looplive::origin::test {

inline constexpr const char* kStreamId = "ab546c68-9163-421e-95a3-69e091d505ee";
inline constexpr const char* kOtherStreamId = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";

inline core::SharedBytes bytes_of(const std::string& text) {
  return core::SharedBytes(std::vector<uint8_t>(text.begin(), text.end()));
}

// Deterministic, non-repeating filler, so a wrong offset shows up as wrong bytes.
inline std::string pattern(size_t size, unsigned seed = 1) {
  std::string out(size, '\0');
  uint32_t x = 2463534242u ^ seed;
  for (auto& c : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = char(x & 0xff);
  }
  return out;
}

class MapSource : public LiveSource {
 public:
  void put(const std::string& id, const std::string& file, const std::string& content,
           std::string etag = "\"mem-1\"", std::time_t modified = 1'700'000'000) {
    std::lock_guard lock(mutex_);
    files_[id + "/" + file] = LiveFile{bytes_of(content), std::move(etag), modified};
  }
  void put(const std::string& id, const std::string& file, core::SharedBytes bytes,
           std::string etag) {
    std::lock_guard lock(mutex_);
    files_[id + "/" + file] = LiveFile{std::move(bytes), std::move(etag), 1'700'000'000};
  }
  void remove_stream(const std::string& id) {
    std::lock_guard lock(mutex_);
    std::erase_if(files_, [&](const auto& entry) { return entry.first.starts_with(id + "/"); });
  }
  std::optional<LiveFile> find(const std::string& id, const std::string& file) const override {
    std::lock_guard lock(mutex_);
    ++lookups_;
    auto found = files_.find(id + "/" + file);
    if (found == files_.end()) return std::nullopt;
    return found->second;
  }
  uint64_t lookups() const { return lookups_; }

 private:
  mutable std::mutex mutex_;
  mutable std::atomic<uint64_t> lookups_{0};
  std::map<std::string, LiveFile> files_;
};

class FakeClock {
 public:
  std::chrono::steady_clock::time_point now() const {
    return start_ + std::chrono::milliseconds(offset_ms_.load());
  }
  void advance(std::chrono::milliseconds by) { offset_ms_ += by.count(); }
  OriginService::Clock function() {
    return [this] { return now(); };
  }

 private:
  const std::chrono::steady_clock::time_point start_{std::chrono::hours(1000)};
  std::atomic<int64_t> offset_ms_{0};
};

// A media root in a scratch directory, removed afterwards.
class MediaRoot {
 public:
  MediaRoot() : path_(looplive::test::make_scratch_dir("origin")) {
    std::filesystem::create_directories(path_ + "/live");
    std::filesystem::create_directories(path_ + "/vods");
  }
  ~MediaRoot() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  MediaRoot(const MediaRoot&) = delete;
  MediaRoot& operator=(const MediaRoot&) = delete;

  // Writes <root>/<relative>, making directories on the way.
  void write(const std::string& relative, const std::string& content) const {
    auto full = std::filesystem::path(path_) / relative;
    std::filesystem::create_directories(full.parent_path());
    std::ofstream(full, std::ios::binary) << content;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline OriginConfig test_config(const MediaRoot& root) {
  OriginConfig config;
  config.host = "127.0.0.1";
  config.port = 0;
  config.media_root = root.path();
  return config;
}

// The service on its own io_context, run by `threads` threads.
class RunningOrigin {
 public:
  RunningOrigin(OriginConfig config, const LiveSource& source, OriginService::Clock clock = {},
                unsigned threads = 2)
      : io_(threads), service_(io_, std::move(config), source, std::move(clock)) {
    service_.start();
    io_.start();
  }
  ~RunningOrigin() {
    service_.stop();
    io_.stop();
    io_.join();
  }
  RunningOrigin(const RunningOrigin&) = delete;
  RunningOrigin& operator=(const RunningOrigin&) = delete;

  OriginService& service() { return service_; }
  uint16_t port() const { return service_.port(); }
  // Waits up to a second for exactly `count` requests to be waiting on live streams.
  bool wait_held(size_t count) {
    for (int i = 0; i < 500 && service_.held_requests() != count; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return service_.held_requests() == count;
  }

 private:
  looplive::core::IoThreads io_;  // as the server runs it: one context per thread
  OriginService service_;
};

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;

  bool has(const std::string& name) const { return headers.count(name) > 0; }
  std::string operator[](const std::string& name) const {
    auto found = headers.find(name);
    return found == headers.end() ? std::string() : found->second;
  }
};

// One TCP connection to the origin; several requests may follow one another.
class Client {
 public:
  explicit Client(uint16_t port, const char* local_address = nullptr) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    timeval timeout{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (local_address) {
      sockaddr_in local{};
      local.sin_family = AF_INET;
      ::inet_pton(AF_INET, local_address, &local.sin_addr);
      if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0)
        throw std::runtime_error("bind failed");
    }
    sockaddr_in server{};
    server.sin_family = AF_INET;
    server.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&server), sizeof server) != 0)
      throw std::runtime_error("connect failed");
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void send_raw(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      sent += size_t(n);
    }
  }

  // Sends `method target` with the extra header lines ("Name: value") and reads the reply.
  Reply request(const std::string& method, const std::string& target,
                const std::vector<std::string>& headers = {}) {
    std::string text = method + " " + target + " HTTP/1.1\r\nHost: origin.test\r\n";
    for (const auto& header : headers) text += header + "\r\n";
    send_raw(text + "\r\n");
    return read_reply(method == "HEAD");
  }

  Reply read_reply(bool head) {
    std::string raw;
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) fill();
    raw = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);

    Reply reply;
    size_t line_end = raw.find("\r\n");
    std::string status_line = raw.substr(0, line_end);
    reply.status = std::stoi(status_line.substr(9, 3));
    size_t at = line_end == std::string::npos ? raw.size() : line_end + 2;
    while (at < raw.size()) {
      size_t next = raw.find("\r\n", at);
      if (next == std::string::npos) next = raw.size();
      std::string line = raw.substr(at, next - at);
      auto colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      reply.headers[name] = value;
      at = next + 2;
    }
    bool bodiless = head || reply.status == 204 || reply.status == 304 || reply.status < 200;
    if (!bodiless && reply["transfer-encoding"] == "chunked") {
      while (std::optional<std::string> chunk = read_chunk()) reply.body += *chunk;
    } else if (!bodiless && reply.has("content-length")) {
      size_t length = std::stoul(reply["content-length"]);
      while (buffer_.size() < length) fill();
      reply.body = buffer_.substr(0, length);
      buffer_.erase(0, length);
    }
    return reply;
  }

  // The data of the next chunk of a chunked body; nullopt for the last (empty) one.
  std::optional<std::string> read_chunk() {
    size_t end;
    while ((end = buffer_.find("\r\n")) == std::string::npos) fill();
    const size_t size = std::stoul(buffer_.substr(0, end), nullptr, 16);
    buffer_.erase(0, end + 2);
    while (buffer_.size() < size + 2) fill();
    std::string data = buffer_.substr(0, size);
    if (buffer_.compare(size, 2, "\r\n") != 0) throw std::runtime_error("bad chunk framing");
    buffer_.erase(0, size + 2);
    if (size == 0) return std::nullopt;
    return data;
  }

  int fd() const { return fd_; }

  // True when the server closed the connection (read returns 0 or fails).
  bool closed_by_server() {
    char byte;
    return ::recv(fd_, &byte, 1, 0) <= 0;
  }

 private:
  void fill() {
    char chunk[65536];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) throw std::runtime_error("connection closed or timed out while reading");
    buffer_.append(chunk, size_t(n));
  }

  int fd_ = -1;
  std::string buffer_;
};

// One request on a fresh connection.
inline Reply fetch(uint16_t port, const std::string& target,
                   const std::vector<std::string>& headers = {},
                   const std::string& method = "GET") {
  Client client(port);
  return client.request(method, target, headers);
}

inline std::string live(const std::string& file, const std::string& id = kStreamId) {
  return "/live/" + id + "/" + file;
}

}  // namespace looplive::origin::test
