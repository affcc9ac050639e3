#include <catch2/catch.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <algorithm>
#include <numeric>

#include "looplive/core/log.hpp"
#include "server_counters.hpp"
#include "test_server.hpp"

using namespace looplive;
using namespace looplive::http;
using namespace looplive::http::test;

namespace {

// Attaches a CaptureSink to one logger for the life of the test.
struct CapturedLog {
  std::shared_ptr<spdlog::logger> logger;
  std::shared_ptr<CaptureSink> sink = std::make_shared<CaptureSink>();

  explicit CapturedLog(const std::string& name) : logger(core::logger(name)) {
    logger->set_level(spdlog::level::info);
    logger->sinks().push_back(sink);
  }
  ~CapturedLog() { logger->sinks().pop_back(); }
};

}  // namespace

TEST_CASE("one access log line per request, without the query string", "[http][stats]") {
  CapturedLog log("http_access_test");
  {
    TestServer server([](const Request&, Respond respond) { respond(text("#EXTM3U\n")); }, {},
                      "http_access_test");
    Client client(server.port());
    auto reply = client.get("/live/x/index.m3u8?token=s3cr3t&sig=abc");
    REQUIRE(reply);
    REQUIRE(client.send("this is not http\r\n\r\n"));
    REQUIRE(client.response());

    REQUIRE(eventually([&] { return log.sink->has_line_containing("status=400"); }));
    auto lines = log.sink->lines();
    auto access = std::find_if(lines.begin(), lines.end(), [](const std::string& line) {
      return line.find("path=/live/x/index.m3u8") != std::string::npos;
    });
    REQUIRE(access != lines.end());
    INFO(*access);
    CHECK(access->rfind("method=GET path=/live/x/index.m3u8 status=200 bytes=" +
                            std::to_string(reply->wire_bytes) + " ms=",
                        0) == 0);
    CHECK(access->find(" peer=127.0.0.1 conn=1") != std::string::npos);
    auto ms = access->substr(access->find(" ms=") + 4);
    ms = ms.substr(0, ms.find(' '));
    CHECK(ms.size() >= 4);
    CHECK(ms.find_first_not_of("0123456789.") == std::string::npos);
    CHECK(ms.find('.') == ms.size() - 3);
    CHECK(log.sink->has_line_containing("method=- path=- status=400"));
    for (const auto& line : lines) {
      CHECK(line.find("s3cr3t") == std::string::npos);
      CHECK(line.find("sig=") == std::string::npos);
    }
  }
}

TEST_CASE("stats count responses by class, latency, bytes and connections", "[http][stats]") {
  boost::asio::thread_pool workers(1);
  TestServer server([&](const Request& request, Respond respond) {
    auto path = request.path();
    if (path == "/late")
      return boost::asio::post(workers, [respond = std::move(respond)] {
        std::this_thread::sleep_for(120ms);
        respond(text("late"));
      });
    if (path == "/moved") {
      Response response(bhttp::status::found);
      response.headers.set(bhttp::field::location, "/elsewhere");
      return respond(std::move(response));
    }
    if (path == "/missing") return respond(text("no", bhttp::status::not_found));
    if (path == "/broken") return respond(text("bad", bhttp::status::service_unavailable));
    respond(text("fine"));
  });
  JoinFirst join_workers(workers);
  auto& http_server = server.server();
  CHECK(http_server.figures().responses() == 0);

  Client client(server.port());
  uint64_t wire = 0;
  for (auto path : {"/a", "/b", "/c", "/moved", "/missing", "/broken", "/late"}) {
    auto reply = client.get(path);
    REQUIRE(reply);
    wire += reply->wire_bytes;
  }
  REQUIRE(eventually([&] { return http_server.figures().responses() == 7; }));
  ServerFigures stats = http_server.figures();
  CHECK(stats.responses_2xx == 4);
  CHECK(stats.responses_3xx == 1);
  CHECK(stats.responses_4xx == 1);
  CHECK(stats.responses_5xx == 1);
  CHECK(stats.bytes_sent == wire);
  CHECK(std::accumulate(stats.latency_buckets.begin(), stats.latency_buckets.end(), uint64_t(0)) ==
        7);
  // Bucket 8 and up hold (100 ms, +Inf): only the late one, however loaded the machine.
  CHECK(std::accumulate(stats.latency_buckets.begin() + 8, stats.latency_buckets.end(),
                        uint64_t(0)) == 1);
  CHECK(stats.latency_sum_ms >= 120);
  CHECK(stats.connections_open == 1);
  CHECK(stats.connections_accepted == 1);

  {
    Client second(server.port());
    REQUIRE(second.get("/a"));
    CHECK(http_server.figures().connections_open == 2);
  }
  CHECK(eventually([&] { return http_server.figures().connections_open == 1; }));
  CHECK(http_server.figures().connections_accepted == 2);
  CHECK(eventually([&] { return http_server.figures().responses_2xx == 5; }));
}

TEST_CASE("latency buckets include their upper bound", "[http][stats]") {
  detail::ServerCounters counters;
  counters.on_response(200, 0, 10);
  counters.on_response(200, 0.5, 10);
  counters.on_response(204, 0.51, 10);
  counters.on_response(301, 25, 10);
  counters.on_response(404, 25.01, 10);
  counters.on_response(500, 1000, 10);
  counters.on_response(503, 1000.5, 10);
  counters.on_response(101, 3, 10);  // counted in latency and bytes, in no status class
  ServerFigures stats = counters.snapshot();
  CHECK(stats.latency_buckets[0] == 2);   // [0, 0.5]
  CHECK(stats.latency_buckets[1] == 1);   // (0.5, 1]
  CHECK(stats.latency_buckets[3] == 1);   // (2, 5]
  CHECK(stats.latency_buckets[5] == 1);   // (10, 25]
  CHECK(stats.latency_buckets[6] == 1);   // (25, 50]
  CHECK(stats.latency_buckets[10] == 1);  // (500, 1000]
  CHECK(stats.latency_buckets[11] == 1);  // +Inf
  CHECK(stats.responses_2xx == 3);
  CHECK(stats.responses_3xx == 1);
  CHECK(stats.responses_4xx == 1);
  CHECK(stats.responses_5xx == 2);
  CHECK(stats.responses() == 7);
  CHECK(stats.bytes_sent == 80);
  CHECK(stats.latency_sum_ms == Approx(2054.52).margin(0.01));
}
