#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace looplive::test {

// Polls `done` until it holds or `timeout` passes; servers record some
// things just after the client has seen their effect.
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// Sockets that connect from `from` (any of 127.0.0.0/8) and send a request
// head for `target` that never ends: slowloris. An empty target sends nothing.
class SlowClients {
 public:
  SlowClients(uint16_t port, size_t count, const std::string& target,
              const char* from = "127.0.0.1") {
    for (size_t i = 0; i < count; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      REQUIRE(fd >= 0);
      fds_.push_back(fd);
      sockaddr_in local{};
      local.sin_family = AF_INET;
      ::inet_pton(AF_INET, from, &local.sin_addr);
      REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0);
      sockaddr_in server{};
      server.sin_family = AF_INET;
      server.sin_port = htons(port);
      ::inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
      REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&server), sizeof server) == 0);
      if (target.empty()) continue;
      const std::string start = "GET " + target + " HTTP/1.1\r\nHost: x\r\nX-Slow: ";
      ::send(fd, start.data(), start.size(), MSG_NOSIGNAL);
    }
  }
  ~SlowClients() {
    for (int fd : fds_) ::close(fd);
  }
  SlowClients(const SlowClients&) = delete;
  SlowClients& operator=(const SlowClients&) = delete;

  // One more byte of the endless head on each.
  void dribble() {
    for (int fd : fds_) ::send(fd, "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  // How many the server has closed: a read returns end of stream or a reset.
  size_t closed() {
    size_t count = 0;
    for (int fd : fds_) {
      char byte;
      ssize_t n = ::recv(fd, &byte, 1, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) ++count;
    }
    return count;
  }

 private:
  std::vector<int> fds_;
};

}  // namespace looplive::test
