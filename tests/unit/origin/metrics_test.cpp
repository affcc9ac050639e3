#include <catch2/catch.hpp>

#include <regex>

#include "origin_harness.hpp"
#include "route_metrics.hpp"

using namespace looplive::origin;
using namespace looplive::origin::test;
using namespace std::chrono_literals;

namespace {

// The value of one exposition line, or -1 when it is absent.
double value_of(const std::string& text, const std::string& series) {
  auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  at += series.size() + 2;
  return std::stod(text.substr(at, text.find('\n', at) - at));
}

}  // namespace

TEST_CASE("route metrics: counters by status class and a cumulative histogram",
          "[origin][metrics]") {
  RouteMetrics metrics;
  metrics.record(Route::segment, 200, 50us);
  metrics.record(Route::segment, 206, 2ms);
  metrics.record(Route::segment, 404, 3s);
  metrics.record(Route::playlist, 304, 300us);
  CHECK(metrics.requests(Route::segment, 2) == 2);
  CHECK(metrics.requests(Route::segment, 4) == 1);
  CHECK(metrics.requests(Route::playlist, 3) == 1);
  CHECK(metrics.requests(Route::playlist, 2) == 0);

  auto text = "\n" + metrics.text();
  CHECK(value_of(text, R"(looplive_origin_requests_total{route="segment",code="2xx"})") == 2);
  CHECK(value_of(text, R"(looplive_origin_requests_total{route="segment",code="4xx"})") == 1);
  CHECK(value_of(text, R"(looplive_origin_requests_total{route="playlist",code="3xx"})") == 1);
  CHECK(value_of(text, R"(looplive_origin_requests_total{route="playlist",code="2xx"})") == -1);
  const std::string bucket =
      R"(looplive_origin_request_duration_seconds_bucket{route="segment",le=")";
  CHECK(value_of(text, bucket + R"(0.0001"})") == 1);
  CHECK(value_of(text, bucket + R"(0.001"})") == 1);
  CHECK(value_of(text, bucket + R"(0.0025"})") == 2);
  CHECK(value_of(text, bucket + R"(1"})") == 2);
  CHECK(value_of(text, bucket + R"(+Inf"})") == 3);
  CHECK(value_of(text, R"(looplive_origin_request_duration_seconds_count{route="segment"})") == 3);
  CHECK(value_of(text, R"(looplive_origin_request_duration_seconds_sum{route="segment"})") ==
        Approx(3.00205));
  CHECK(text.find("# TYPE looplive_origin_request_duration_seconds histogram") !=
        std::string::npos);
}

TEST_CASE("metrics_text counts real requests per route and viewers per stream",
          "[origin][metrics]") {
  MediaRoot root;
  MapSource source;
  FakeClock clock;
  source.put(kStreamId, "index.m3u8", "#EXTM3U\n");
  source.put(kStreamId, "init_v.mp4", "init");
  source.put(kStreamId, "v_1.m4s", "segment");
  root.write("vods/" + std::string(kStreamId) + ".m3u8", "#EXTM3U\n");
  RunningOrigin origin(test_config(root), source, clock.function());
  Client client(origin.port());
  client.request("GET", live("index.m3u8?session=1"));
  client.request("GET", live("index.m3u8?session=2"));
  client.request("GET", live("init_v.mp4?session=1"));
  client.request("GET", live("v_1.m4s?session=1"), {"Range: bytes=0-1"});
  client.request("GET", live("v_2.m4s"));
  client.request("GET", "/vods/" + std::string(kStreamId) + ".m3u8");
  client.request("GET", "/healthz");
  client.request("GET", "/nothing");
  client.request("DELETE", live("index.m3u8"));

  auto text = "\n" + origin.service().metrics_text();
  auto requests = [&](const std::string& route, const std::string& code) {
    return value_of(
        text, "looplive_origin_requests_total{route=\"" + route + "\",code=\"" + code + "\"}");
  };
  CHECK(requests("playlist", "2xx") == 2);
  CHECK(requests("init", "2xx") == 1);
  CHECK(requests("segment", "2xx") == 1);
  CHECK(requests("segment", "4xx") == 1);
  CHECK(requests("vod", "2xx") == 1);
  CHECK(requests("health", "2xx") == 1);
  CHECK(requests("other", "4xx") == 2);
  CHECK(value_of(text, R"(looplive_origin_request_duration_seconds_count{route="playlist"})") == 2);
  CHECK(value_of(text, "looplive_viewers_current{stream=\"" + std::string(kStreamId) + "\"}") == 2);
  CHECK(value_of(text, "looplive_viewers_unique{stream=\"" + std::string(kStreamId) + "\"}") == 2);
  CHECK(value_of(text, "looplive_origin_connections_open") == 1);
  CHECK(value_of(text, "looplive_origin_sent_bytes_total") > 0);

  clock.advance(5s);
  auto later = "\n" + origin.service().metrics_text();
  CHECK(value_of(later, "looplive_viewers_current{stream=\"" + std::string(kStreamId) + "\"}") ==
        0);
  CHECK(value_of(later, "looplive_viewers_peak{stream=\"" + std::string(kStreamId) + "\"}") == 2);
}
