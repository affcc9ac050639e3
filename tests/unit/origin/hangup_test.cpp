#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include "origin_harness.hpp"

using namespace looplive::origin;
using namespace looplive::origin::test;

// Players and CDN edges hang up in the middle of segments all the time (seeks,
// quality switches, timeouts). None of that may take the process down: a
// sendfile(2) into a socket the peer just closed raises SIGPIPE.
TEST_CASE("clients hanging up mid-segment never take the origin down", "[origin][hangup]") {
  MediaRoot root;
  MapSource source;
  root.write("live/" + std::string(kStreamId) + "/v_1.m4s", pattern(8 << 20, 11));
  RunningOrigin origin(test_config(root), source);

  for (int round = 0; round < 5; ++round) {
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < 100; ++i) {
      clients.push_back(std::make_unique<Client>(origin.port()));
      clients.back()->send_raw("GET " + live("v_1.m4s") + " HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    for (size_t i = 0; i < clients.size(); ++i) {
      char some[4096];
      REQUIRE(::recv(clients[i]->fd(), some, sizeof some, 0) > 0);
      if (i % 2 == 0) {
        linger abort_on_close{1, 0};  // a reset rather than a FIN
        ::setsockopt(clients[i]->fd(), SOL_SOCKET, SO_LINGER, &abort_on_close,
                     sizeof abort_on_close);
      }
    }
  }
  auto reply = fetch(origin.port(), "/healthz");
  CHECK(reply.status == 200);
  CHECK(reply.body == "ok");
}
