#include <catch2/catch.hpp>

#include "origin_harness.hpp"

using namespace looplive::origin;
using namespace looplive::origin::test;

TEST_CASE("OPTIONS preflight", "[origin][cors]") {
  MediaRoot root;
  MapSource source;
  RunningOrigin origin(test_config(root), source);
  auto reply = fetch(origin.port(), live("index.m3u8"),
                     {"Origin: https://shop.example", "Access-Control-Request-Method: GET",
                      "Access-Control-Request-Headers: range"},
                     "OPTIONS");
  CHECK(reply.status == 204);
  CHECK(reply.body.empty());
  CHECK(reply["access-control-allow-origin"] == "*");
  CHECK(reply["access-control-allow-methods"] == "GET, HEAD, OPTIONS");
  CHECK(reply["allow"] == "GET, HEAD, OPTIONS");
  CHECK(
      reply["access-control-allow-headers"].starts_with("Range, If-None-Match, If-Modified-Since"));
  CHECK(reply["access-control-max-age"] == "86400");
}

TEST_CASE("methods other than GET, HEAD and OPTIONS are 405 with Allow", "[origin][cors]") {
  MediaRoot root;
  MapSource source;
  source.put(kStreamId, "index.m3u8", "#EXTM3U\n");
  RunningOrigin origin(test_config(root), source);
  Client client(origin.port());
  for (auto method : {"POST", "PUT", "DELETE", "PATCH"}) {
    INFO(method);
    auto reply = client.request(method, live("index.m3u8"), {"Content-Length: 0"});
    CHECK(reply.status == 405);
    CHECK(reply["allow"] == "GET, HEAD, OPTIONS");
    CHECK(reply["cache-control"] == "no-store");
  }
  CHECK(client.request("GET", live("index.m3u8")).status == 200);
}

TEST_CASE("a request body is refused before the origin holds any of it", "[origin][limits]") {
  MediaRoot root;
  MapSource source;
  source.put(kStreamId, "index.m3u8", "#EXTM3U\n");
  auto config = test_config(root);
  RunningOrigin origin(config, source);
  Client client(origin.port());
  // Answered at the head: the promised kilobyte is never waited for.
  auto reply = client.request("POST", live("index.m3u8"), {"Content-Length: 1000"});
  CHECK(reply.status == 413);
  Client chunked(origin.port());
  chunked.send_raw("POST " + live("index.m3u8") +
                   " HTTP/1.1\r\nHost: origin.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "400\r\n" +
                   std::string(1024, 'x') + "\r\n");
  CHECK(chunked.read_reply(false).status == 413);
  // A request without one is served as before.
  Client player(origin.port());
  CHECK(player.request("GET", live("index.m3u8"), {"Content-Length: 0"}).status == 200);
}

TEST_CASE("an allow-list echoes listed origins only", "[origin][cors]") {
  MediaRoot root;
  MapSource source;
  source.put(kStreamId, "index.m3u8", "#EXTM3U\n");
  source.put(kStreamId, "v_1.m4s", pattern(900), "\"v1\"");
  auto config = test_config(root);
  config.cors_allowed_origins = {"https://shop.example", "https://m.shop.example"};
  RunningOrigin origin(config, source);
  Client client(origin.port());

  auto listed = client.request("GET", live("index.m3u8"), {"Origin: https://m.shop.example"});
  CHECK(listed.status == 200);
  CHECK(listed["access-control-allow-origin"] == "https://m.shop.example");
  CHECK(listed["access-control-expose-headers"] == "Content-Length, Content-Range, Date, ETag");
  // A playlist also varies on Accept-Encoding (it may come gzipped); media only on Origin.
  CHECK(listed["vary"] == "Accept-Encoding, Origin");
  CHECK(client.request("GET", live("v_1.m4s"), {"Origin: https://m.shop.example"})["vary"] ==
        "Origin");

  auto stranger = client.request("GET", live("index.m3u8"), {"Origin: https://evil.example"});
  CHECK(stranger.status == 200);
  CHECK_FALSE(stranger.has("access-control-allow-origin"));
  CHECK(stranger["vary"] == "Accept-Encoding, Origin");

  auto none = client.request("GET", live("index.m3u8"));
  CHECK_FALSE(none.has("access-control-allow-origin"));

  auto preflight = client.request("OPTIONS", live("index.m3u8"), {"Origin: https://shop.example"});
  CHECK(preflight.status == 204);
  CHECK(preflight["access-control-allow-origin"] == "https://shop.example");
  auto refused = client.request("OPTIONS", live("index.m3u8"), {"Origin: https://evil.example"});
  CHECK_FALSE(refused.has("access-control-allow-origin"));
}
