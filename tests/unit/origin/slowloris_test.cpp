#include <catch2/catch.hpp>

#include <sys/resource.h>

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

void raise_descriptor_limit() {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
}

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

TEST_CASE("500 slowloris connections do not keep a player from its playlist",
          "[origin][slowloris]") {
  raise_descriptor_limit();
  MediaRoot root;
  MapSource source;
  source.put(kStreamId, "index.m3u8", "#EXTM3U\n#live\n");
  auto config = test_config(root);
  config.limits.header_timeout = 2000ms;
  config.limits.max_connections_per_ip = 1000;  // all from 127.0.0.1, like clients behind one NAT
  RunningOrigin origin(config, source);

  SlowClients slow(origin.port(), 500);
  REQUIRE(eventually([&] { return origin.service().stats().connections_open == 500; }, 3s));
  slow.dribble();

  auto started = std::chrono::steady_clock::now();
  auto reply = fetch(origin.port(), live("index.m3u8"));
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(reply.status == 200);
  CHECK(reply.body == "#EXTM3U\n#live\n");
  CHECK(took < 1s);
  CHECK(slow.closed() == 0);

  // Dribbling does not buy time: every slow head is cut off at the header timeout.
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(200ms);
    slow.dribble();
  }
  CHECK(eventually([&] { return slow.closed() == 500; }, 4s));
  CHECK(origin.service().stats().timeouts >= 500);
  CHECK(eventually([&] { return origin.service().stats().connections_open == 0; }, 2s));
}

TEST_CASE("slow clients from one address use up only that address's share", "[origin][slowloris]") {
  raise_descriptor_limit();
  MediaRoot root;
  MapSource source;
  source.put(kStreamId, "index.m3u8", "#EXTM3U\n#live\n");
  auto config = test_config(root);
  config.limits.header_timeout = 2000ms;
  REQUIRE(config.limits.max_connections_per_ip == 256);
  RunningOrigin origin(config, source);

  // Players that already asked for something keep their connections open.
  std::vector<std::unique_ptr<Client>> players;
  for (int i = 0; i < 6; ++i) {
    players.push_back(std::make_unique<Client>(origin.port()));
    REQUIRE(players.back()->request("GET", live("index.m3u8")).status == 200);
  }
  SlowClients slow(origin.port(), 500);
  // Each slow connection past the address's share pushes out its oldest unfinished one.
  REQUIRE(eventually([&] { return origin.service().stats().connections_evicted >= 250; }, 3s));
  CHECK(origin.service().stats().connections_open == 256);
  CHECK(origin.service().stats().connections_refused == 0);

  // A player at the same address still gets in, and so does one at another.
  for (const char* address : {"127.0.0.1", "127.0.0.2"}) {
    INFO(address);
    auto started = std::chrono::steady_clock::now();
    Client newcomer(origin.port(), address);
    auto reply = newcomer.request("GET", live("index.m3u8"));
    CHECK(reply.status == 200);
    CHECK(std::chrono::steady_clock::now() - started < 1s);
  }
  // The players that were there first were never the ones closed.
  for (auto& player : players) CHECK(player->request("GET", live("index.m3u8")).status == 200);
}

TEST_CASE("an address whose connections all sent requests gets no more", "[origin][slowloris]") {
  MediaRoot root;
  MapSource source;
  source.put(kStreamId, "index.m3u8", "#EXTM3U\n#live\n");
  auto config = test_config(root);
  config.limits.max_connections_per_ip = 4;
  RunningOrigin origin(config, source);
  std::vector<std::unique_ptr<Client>> players;
  for (int i = 0; i < 4; ++i) {
    players.push_back(std::make_unique<Client>(origin.port()));
    REQUIRE(players.back()->request("GET", live("index.m3u8")).status == 200);
  }
  SlowClients slow(origin.port(), 1);
  REQUIRE(eventually([&] { return origin.service().stats().connections_refused == 1; }, 3s));
  CHECK(slow.closed() == 1);
  CHECK(origin.service().stats().connections_evicted == 0);
  for (auto& player : players) CHECK(player->request("GET", live("index.m3u8")).status == 200);
}

TEST_CASE("a trusted proxy gets its own, higher cap", "[origin][slowloris]") {
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
  CHECK(one_more.closed() == 1);
}
