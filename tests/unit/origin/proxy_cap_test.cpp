#include <catch2/catch.hpp>

#include "origin_harness.hpp"
#include "slow_clients.hpp"

using namespace looplive::origin;
using namespace looplive::origin::test;
using namespace std::chrono_literals;
using looplive::test::eventually;
using looplive::test::SlowClients;

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
  SlowClients one_more(origin.port(), 1, live("index.m3u8"), "127.0.0.2");
  CHECK(eventually([&] { return origin.service().figures().connections_refused == 1; }, 3s));
  // Counted as it is refused, closed just after.
  CHECK(eventually([&] { return one_more.closed() == 1; }, 3s));
}
