#include <catch2/catch.hpp>

#include "origin_harness.hpp"

using namespace looplive::origin;
using namespace looplive::origin::test;
using namespace std::chrono_literals;

namespace {

// Sockets that connect and send a request head that never ends.
class SlowClients {
 public:
  explicit SlowClients(uint16_t port, size_t count, const char* from = "127.0.0.1") {
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
      std::string start = "GET " + live("index.m3u8") + " HTTP/1.1\r\nHost: x\r\nX-Slow: ";
      ::send(fd, start.data(), start.size(), MSG_NOSIGNAL);
    }
  }
  ~SlowClients() {
    for (int fd : fds_) ::close(fd);
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

template <class Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds within) {
  auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return predicate();
}

}  // namespace

// The origin hands its trusted proxies to the HTTP server, whose limits are
// tested with http/ (slowloris_test.cpp).
TEST_CASE("a trusted proxy gets its own, higher cap", "[origin][proxies]") {
  MediaRoot root;
  MapSource source;
  source.put(kStreamId, "index.m3u8", "#EXTM3U\n#live\n");
  auto config = test_config(root);
  config.trusted_proxies = {"127.0.0.1"};  // a CDN edge, say
  config.limits.max_connections_per_ip = 4;
  config.limits.max_connections_per_proxy = 10;
  RunningOrigin origin(config, source);
  std::vector<std::unique_ptr<Client>> behind_proxy;
  for (int i = 0; i < 10; ++i) {
    behind_proxy.push_back(std::make_unique<Client>(origin.port()));
    CHECK(behind_proxy.back()->request("GET", live("index.m3u8")).status == 200);
  }
  // Another address is an ordinary client: four connections.
  std::vector<std::unique_ptr<Client>> direct;
  for (int i = 0; i < 4; ++i) {
    direct.push_back(std::make_unique<Client>(origin.port(), "127.0.0.2"));
    CHECK(direct.back()->request("GET", live("index.m3u8")).status == 200);
  }
  SlowClients one_more(origin.port(), 1, "127.0.0.2");
  CHECK(eventually([&] { return origin.service().stats().connections_refused == 1; }, 3s));
  // Counted as it is refused, closed just after.
  CHECK(eventually([&] { return one_more.closed() == 1; }, 3s));
}
