#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <memory>
#include <string>
#include <vector>

#include "slow_clients.hpp"
#include "test_server.hpp"

using namespace looplive::http;
using namespace looplive::http::test;
using looplive::test::SlowClients;

namespace {

const std::string kPlaylist = "#EXTM3U\n#live\n";

void playlist(const Request&, Respond respond) {
  respond(text(kPlaylist));
}

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

  SlowClients slow(server.port(), 500, "/index.m3u8");
  REQUIRE(eventually([&] { return server.server().figures().connections_open == 500; }));
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
  CHECK(server.server().figures().timeouts >= 500);
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
  SlowClients slow(server.port(), 500, "/index.m3u8");
  // Each slow connection past the address's share pushes out its oldest unfinished one.
  REQUIRE(eventually([&] { return server.server().figures().connections_evicted >= 250; }));
  CHECK(server.server().figures().connections_open == 256);
  CHECK(server.server().figures().connections_refused == 0);

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
  SlowClients slow(server.port(), 1, "/index.m3u8");
  REQUIRE(eventually([&] { return server.server().figures().connections_refused == 1; }));
  // Counted as it is refused, closed just after.
  CHECK(eventually([&] { return slow.closed() == 1; }));
  CHECK(server.server().figures().connections_evicted == 0);
  for (auto& player : players) CHECK(plays(*player));
}
