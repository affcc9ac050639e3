#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <memory>
#include <string>
#include <vector>

#include "test_server.hpp"

using namespace looplive::http;
using namespace looplive::http::test;

namespace {

const std::string kPlaylist = "#EXTM3U\n#live\n";

void playlist(const Request&, Respond respond) {
  respond(text(kPlaylist));
}

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
      const std::string start = "GET /index.m3u8 HTTP/1.1\r\nHost: x\r\nX-Slow: ";
      ::send(fd, start.data(), start.size(), MSG_NOSIGNAL);
    }
  }
  ~SlowClients() {
    for (int fd : fds_) ::close(fd);
  }
  SlowClients(const SlowClients&) = delete;
  SlowClients& operator=(const SlowClients&) = delete;

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

bool plays(Client& client) {
  auto reply = client.get("/index.m3u8");
  return reply && reply->status() == 200 && reply->body() == kPlaylist;
}

}  // namespace

TEST_CASE("500 slowloris connections do not keep a player from its playlist", "[http][slowloris]") {
  raise_descriptor_limit();
  ServerLimits limits;
  limits.header_timeout = 2000ms;
  limits.max_connections_per_ip = 1000;  // all from 127.0.0.1, like clients behind one NAT
  TestServer server(playlist, limits);

  SlowClients slow(server.port(), 500);
  REQUIRE(eventually([&] { return server.server().stats().connections_open == 500; }));
  slow.dribble();

  auto started = Clock::now();
  Client player(server.port());
  CHECK(plays(player));
  CHECK(Clock::now() - started < 1s);
  CHECK(slow.closed() == 0);

  // Dribbling does not buy time: every slow head is cut off at the header timeout.
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(200ms);
    slow.dribble();
  }
  CHECK(eventually([&] { return slow.closed() == 500; }, 4s));
  CHECK(server.server().stats().timeouts >= 500);
}

TEST_CASE("slow clients from one address use up only that address's share", "[http][slowloris]") {
  raise_descriptor_limit();
  ServerLimits limits;
  limits.header_timeout = 2000ms;
  limits.max_connections_per_ip = 256;
  TestServer server(playlist, limits);

  // Players that already asked for something keep their connections open.
  std::vector<std::unique_ptr<Client>> players;
  for (int i = 0; i < 6; ++i) {
    players.push_back(std::make_unique<Client>(server.port()));
    REQUIRE(plays(*players.back()));
  }
  SlowClients slow(server.port(), 500);
  // Each slow connection past the address's share pushes out its oldest unfinished one.
  REQUIRE(eventually([&] { return server.server().stats().connections_evicted >= 250; }));
  CHECK(server.server().stats().connections_open == 256);
  CHECK(server.server().stats().connections_refused == 0);

  // A player at the same address still gets in, and so does one at another.
  for (const char* address : {"127.0.0.1", "127.0.0.2"}) {
    INFO(address);
    auto started = Clock::now();
    Client newcomer(server.port(), 0, address);
    CHECK(plays(newcomer));
    CHECK(Clock::now() - started < 1s);
  }
  // The players that were there first were never the ones closed.
  for (auto& player : players) CHECK(plays(*player));
}

TEST_CASE("an address whose connections all sent requests gets no more", "[http][slowloris]") {
  ServerLimits limits;
  limits.max_connections_per_ip = 4;
  TestServer server(playlist, limits);
  std::vector<std::unique_ptr<Client>> players;
  for (int i = 0; i < 4; ++i) {
    players.push_back(std::make_unique<Client>(server.port()));
    REQUIRE(plays(*players.back()));
  }
  SlowClients slow(server.port(), 1);
  REQUIRE(eventually([&] { return server.server().stats().connections_refused == 1; }));
  // Counted as it is refused, closed just after.
  CHECK(eventually([&] { return slow.closed() == 1; }));
  CHECK(server.server().stats().connections_evicted == 0);
  for (auto& player : players) CHECK(plays(*player));
}
