#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>

#include "test_server.hpp"

using namespace looplive::http;
using namespace looplive::http::test;

namespace {

void ok(const Request&, Respond respond) {
  respond(text("ok"));
}

}  // namespace

TEST_CASE("a malformed request gets 400 and the connection closes", "[http][limits]") {
  std::atomic<int> handled{0};
  TestServer server([&](const Request&, Respond respond) {
    ++handled;
    respond(text("ok"));
  });
  for (std::string garbage :
       {"this is not http\r\n\r\n", "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
        "GET / HTTP/9.9\r\n\r\n", "GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"}) {
    INFO(garbage);
    Client client(server.port());
    REQUIRE(client.send(garbage));
    auto reply = client.response();
    REQUIRE(reply);
    CHECK(reply->status() == 400);
    CHECK(reply->header(bhttp::field::connection) == "close");
    CHECK(client.closed_within(1s));
  }
  CHECK(handled == 0);
}

TEST_CASE("oversized heads get 431 and oversized bodies 413", "[http][limits]") {
  ServerLimits limits;
  limits.max_header_bytes = 8192;
  limits.max_body_bytes = 1000;
  TestServer server(ok, limits);
  SECTION("a huge header field") {
    Client client(server.port());
    REQUIRE(
        client.send("GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(10000, 'a') + "\r\n\r\n"));
    auto reply = client.response();
    REQUIRE(reply);
    CHECK(reply->status() == 431);
    CHECK(client.closed_within(1s));
    CHECK(server.server().figures().connections_cut == 1);
  }
  SECTION("just under the limit is fine") {
    Client client(server.port());
    REQUIRE(
        client.send("GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(7000, 'a') + "\r\n\r\n"));
    auto reply = client.response();
    REQUIRE(reply);
    CHECK(reply->status() == 200);
    CHECK(server.server().figures().connections_cut == 0);
  }
  SECTION("a declared body over the limit is refused before it is sent") {
    Client client(server.port());
    REQUIRE(client.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1001\r\n\r\n"));
    auto reply = client.response();
    REQUIRE(reply);
    CHECK(reply->status() == 413);
    CHECK(client.closed_within(1s));
    CHECK(server.server().figures().connections_cut == 1);
  }
  SECTION("a chunked body that grows over the limit") {
    Client client(server.port());
    REQUIRE(client.send("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"));
    for (int i = 0; i < 3; ++i) REQUIRE(client.send("190\r\n" + std::string(400, 'b') + "\r\n"));
    auto reply = client.response();
    REQUIRE(reply);
    CHECK(reply->status() == 413);
    CHECK(client.closed_within(1s));
  }
}

TEST_CASE("slowloris: dribbled heads are cut off at header_timeout", "[http][limits][slow]") {
  ServerLimits limits;
  limits.header_timeout = 1000ms;
  TestServer server(ok, limits);
  const std::string head = "GET /slow HTTP/1.1\r\nHost: t\r\nX-Pad: " + std::string(100, 'a');

  constexpr size_t kDribblers = 200;
  auto connecting = Clock::now();
  std::vector<std::unique_ptr<Client>> dribblers;
  for (size_t i = 0; i < kDribblers; ++i)
    dribblers.push_back(std::make_unique<Client>(server.port()));
  auto connected = Clock::now();
  std::vector<double> closed_at(kDribblers, -1);  // ms after `connecting`
  std::optional<double> normal_ms;
  std::optional<unsigned> normal_status;

  for (size_t tick = 0; tick < 30; ++tick) {  // one byte every 100 ms, for at most 3 s
    for (size_t i = 0; i < kDribblers; ++i) {
      if (closed_at[i] >= 0) continue;
      if (dribblers[i]->closed_now() || !dribblers[i]->send_now(head[tick % head.size()]))
        closed_at[i] = ms_since(connecting);
    }
    if (tick == 3) {  // a normal client on a fresh connection, while all of them dribble
      Client normal(server.port());
      auto started = Clock::now();
      auto reply = normal.get("/normal");
      normal_ms = ms_since(started);
      if (reply) normal_status = reply->status();
    }
    if (std::all_of(closed_at.begin(), closed_at.end(), [](double t) { return t >= 0; })) break;
    std::this_thread::sleep_for(100ms);
  }

  REQUIRE(normal_status);
  CHECK(*normal_status == 200);
  CHECK(*normal_ms < 1000);
  double connect_ms = ms_since(connecting) - ms_since(connected);
  size_t still_open = 0;
  double earliest = 1e9, latest = 0;
  for (double t : closed_at) {
    if (t < 0) {
      ++still_open;
      continue;
    }
    earliest = std::min(earliest, t);
    latest = std::max(latest, t);
  }
  INFO("closed between " << earliest << " and " << latest << " ms; connecting took " << connect_ms);
  CHECK(still_open == 0);
  CHECK(earliest >= 950);                    // not before header_timeout...
  CHECK(latest <= connect_ms + 1000 + 600);  // ...and not much later, despite the dribbling
  CHECK(server.server().figures().timeouts >= kDribblers);
  CHECK(eventually([&] { return server.server().connection_count() == 0; }));
}

TEST_CASE("a fresh connection that sends nothing is closed at header_timeout", "[http][limits]") {
  ServerLimits limits;
  limits.header_timeout = 400ms;
  limits.idle_timeout = 5000ms;
  TestServer server(ok, limits);
  Client client(server.port());
  auto started = Clock::now();
  CHECK(client.closed_within(2s));
  CHECK(ms_since(started) >= 350);
  CHECK(ms_since(started) < 1500);
  CHECK(client.received().empty());
}

TEST_CASE("an idle kept-alive connection is closed at idle_timeout", "[http][limits]") {
  ServerLimits limits;
  limits.header_timeout = 3000ms;
  limits.idle_timeout = 300ms;
  TestServer server(ok, limits);
  Client client(server.port());
  REQUIRE(client.get("/1"));
  std::this_thread::sleep_for(150ms);
  auto second = client.get("/2");  // still open within idle_timeout
  REQUIRE(second);
  CHECK(second->status() == 200);
  auto idle_since = Clock::now();
  CHECK(client.closed_within(2500ms));
  CHECK(ms_since(idle_since) >= 250);
  CHECK(ms_since(idle_since) < 1500);  // idle_timeout applied, not header_timeout
  CHECK(client.received().empty());
  CHECK(eventually([&] { return server.server().connection_count() == 0; }));
}

TEST_CASE("after the first byte of a kept-alive request, header_timeout applies",
          "[http][limits]") {
  ServerLimits limits;
  limits.header_timeout = 300ms;
  limits.idle_timeout = 5000ms;
  TestServer server(ok, limits);
  Client client(server.port());
  REQUIRE(client.get("/1"));
  std::this_thread::sleep_for(500ms);  // idle longer than header_timeout: still open
  REQUIRE(client.send("GET /2 HTTP/1.1\r\n"));
  auto started = Clock::now();
  CHECK(client.closed_within(2s));
  CHECK(ms_since(started) >= 250);
  CHECK(ms_since(started) < 1500);
}

TEST_CASE("connections over max_connections_per_ip are closed at once", "[http][limits]") {
  ServerLimits limits;
  limits.max_connections_per_ip = 3;
  TestServer server(ok, limits);
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<Client>(server.port()));
    REQUIRE(clients.back()->get("/"));  // accepted and counted
  }
  CHECK(server.server().connection_count() == 3);

  Client extra(server.port());
  extra.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(extra.closed_within(1s));
  CHECK(extra.received().empty());
  CHECK(server.server().figures().connections_refused == 1);

  clients.pop_back();
  REQUIRE(eventually([&] { return server.server().connection_count() == 2; }));
  Client replacement(server.port());
  auto reply = replacement.get("/");
  REQUIRE(reply);
  CHECK(reply->status() == 200);
}

TEST_CASE("connections over max_connections are closed at once", "[http][limits]") {
  ServerLimits limits;
  limits.max_connections = 2;
  TestServer server(ok, limits);
  Client a(server.port());
  Client b(server.port());
  REQUIRE(a.get("/"));
  REQUIRE(b.get("/"));
  Client c(server.port());
  CHECK(c.closed_within(1s));
  CHECK(server.server().figures().connections_refused == 1);
  CHECK(server.server().figures().connections_accepted == 2);
}

TEST_CASE("stop closes every connection", "[http][limits]") {
  TestServer server(ok);
  Client a(server.port());
  Client b(server.port());
  REQUIRE(a.get("/"));
  REQUIRE(b.send("GET /partial HTTP/1.1\r\n"));
  REQUIRE(eventually([&] { return server.server().connection_count() == 2; }));
  server.server().stop();
  CHECK(a.closed_within(1s));
  CHECK(b.closed_within(1s));
  CHECK(server.server().connection_count() == 0);
  CHECK(server.server().figures().connections_open == 0);
}
