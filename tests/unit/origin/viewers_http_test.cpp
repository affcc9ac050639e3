#include <catch2/catch.hpp>

#include "origin_harness.hpp"

using namespace looplive::origin;
using namespace looplive::origin::test;
using namespace std::chrono_literals;

namespace {

struct Fixture {
  MediaRoot root;
  MapSource source;
  FakeClock clock;
  Fixture() {
    source.put(kStreamId, "index.m3u8", "#EXTM3U\n");
    source.put(kStreamId, "manifest.mpd", "<MPD/>");
    source.put(kStreamId, "v_1.m4s", pattern(100));
    source.put(kStreamId, "thumbnail.jpg", "jpeg");
    root.write("live/" + std::string(kOtherStreamId) + "/index.m3u8", "#EXTM3U\n#ended\n");
    root.write("live/" + std::string(kStreamId) + "/v_0.m4s", pattern(10));
    root.write("vods/" + std::string(kStreamId) + ".m3u8", "#EXTM3U\n#vod\n");
  }
};

}  // namespace

TEST_CASE("viewer sessions over HTTP: current, peak, unique, average watch time",
          "[origin][viewers]") {
  Fixture f;
  RunningOrigin origin(test_config(f.root), f.source, f.clock.function());
  Client client(origin.port());
  auto get = [&](const std::string& target, std::vector<std::string> headers = {}) {
    return client.request("GET", target, headers).status;
  };

  REQUIRE(get(live("index.m3u8?session=A")) == 200);
  REQUIRE(get(live("manifest.mpd?session=B")) == 200);
  f.clock.advance(1000ms);
  REQUIRE(get(live("v_1.m4s?session=A")) == 200);
  f.clock.advance(1000ms);
  // No session parameter: the address and the User-Agent name the session.
  REQUIRE(get(live("index.m3u8"), {"User-Agent: Player C"}) == 200);
  REQUIRE(get(live("v_1.m4s"), {"User-Agent: Player C"}) == 200);
  auto now = origin.service().viewers(kStreamId);
  CHECK(now.current == 3);
  CHECK(now.peak == 3);
  CHECK(now.unique == 3);

  // None of these is watching the live stream.
  CHECK(get(live("missing.m4s?session=Z")) == 404);
  CHECK(get(live("thumbnail.jpg?session=Y")) == 200);
  CHECK(get(live("v_0.m4s?session=X")) == 200);  // a recorded segment from disk
  CHECK(get("/vods/" + std::string(kStreamId) + ".m3u8?session=W") == 200);
  CHECK(get("/healthz?session=V") == 200);
  CHECK(get(live("index.m3u8?session=U", kOtherStreamId)) == 200);
  CHECK(origin.service().viewers(kStreamId).unique == 3);
  CHECK(origin.service().viewers(kOtherStreamId).unique == 0);

  // A revalidation is a poll too.
  f.clock.advance(3500ms);  // t = 5.5 s: B (last at 0) and A (1 s) have lapsed, C (2 s) has not
  REQUIRE(get(live("index.m3u8?session=A"), {"If-None-Match: \"mem-1\""}) == 304);
  auto later = origin.service().viewers(kStreamId);
  CHECK(later.current == 2);
  CHECK(later.peak == 3);
  CHECK(later.unique == 3);
  // A: 5.5 s + 2; B: 0 + 2; C: 0 + 2.
  REQUIRE(later.average_watch_seconds);
  CHECK(*later.average_watch_seconds == Approx(11.5 / 3));

  f.clock.advance(10s);
  auto idle = origin.service().viewers(kStreamId);
  CHECK(idle.current == 0);
  CHECK(idle.peak == 3);
  CHECK(idle.unique == 3);

  origin.service().forget_viewers(kStreamId);
  auto forgotten = origin.service().viewers(kStreamId);
  CHECK(forgotten.unique == 0);
  CHECK(forgotten.peak == 0);
  CHECK_FALSE(forgotten.average_watch_seconds);
}

TEST_CASE("X-Forwarded-For names viewers only behind a trusted proxy", "[origin][viewers]") {
  Fixture f;
  SECTION("not trusted: every request is the peer 127.0.0.1") {
    RunningOrigin origin(test_config(f.root), f.source, f.clock.function());
    Client client(origin.port());
    for (auto address : {"203.0.113.1", "203.0.113.2", "203.0.113.3"})
      client.request("GET", live("index.m3u8"), {std::string("X-Forwarded-For: ") + address});
    CHECK(origin.service().viewers(kStreamId).unique == 1);
    CHECK(origin.service().viewers(kStreamId).current == 1);
  }
  SECTION("trusted: one viewer per forwarded address") {
    auto config = test_config(f.root);
    config.trusted_proxies = {"127.0.0.1"};
    RunningOrigin origin(config, f.source, f.clock.function());
    Client client(origin.port());
    for (auto address : {"203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.2"})
      client.request("GET", live("index.m3u8"), {std::string("X-Forwarded-For: ") + address});
    // A client's own X-Forwarded-For entry is not believed: still 203.0.113.3.
    client.request("GET", live("index.m3u8"), {"X-Forwarded-For: 198.51.100.77, 203.0.113.3"});
    auto figures = origin.service().viewers(kStreamId);
    CHECK(figures.unique == 3);
    CHECK(figures.current == 3);
    CHECK(figures.peak == 3);
    // A request straight from a client at another address is that address.
    Client direct(origin.port(), "127.0.0.2");
    direct.request("GET", live("index.m3u8"), {"X-Forwarded-For: 203.0.113.9"});
    CHECK(origin.service().viewers(kStreamId).unique == 4);
    direct.request("GET", live("index.m3u8"), {"X-Forwarded-For: 203.0.113.10"});
    CHECK(origin.service().viewers(kStreamId).unique == 4);
  }
}

TEST_CASE("the sweep keeps running on its own timer", "[origin][viewers]") {
  Fixture f;
  auto config = test_config(f.root);
  config.target_duration = 100ms;
  config.viewer_retention = 1s;
  RunningOrigin origin(config, f.source, f.clock.function());
  REQUIRE(fetch(origin.port(), live("index.m3u8?session=A")).status == 200);
  REQUIRE(origin.service().viewers(kStreamId).unique == 1);
  f.clock.advance(2s);  // past the retention: the next sweep, within 100 ms, drops the stream
  auto deadline = std::chrono::steady_clock::now() + 3s;
  while (origin.service().viewers(kStreamId).unique != 0 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  CHECK(origin.service().viewers(kStreamId).unique == 0);
}
