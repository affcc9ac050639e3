#include <catch2/catch.hpp>

#include "looplive/core/ingest_figures.hpp"
#include "looplive/core/latency_histogram.hpp"

using namespace looplive::core;

namespace {

IngestFigures figures(const std::string& id, int64_t started, uint64_t bytes, bool connected) {
  IngestFigures f;
  f.stream_id = id;
  f.started_at_ms = started;
  f.bytes = bytes;
  f.connected = connected;
  return f;
}

}  // namespace

TEST_CASE("the figures registry keeps the latest per stream and counts bytes once",
          "[core][figures]") {
  IngestFiguresRegistry registry;
  registry.update(figures("a", 1, 100, true));
  registry.update(figures("a", 1, 250, true));  // same publish: +150
  registry.update(figures("b", 7, 40, true));
  CHECK(registry.total_bytes() == 290);
  registry.update(figures("a", 2, 30, true));  // a new publish of a: counted from zero
  CHECK(registry.total_bytes() == 320);
  CHECK(registry.get("a")->bytes == 30);
  CHECK(registry.connected().size() == 2);
  registry.update(figures("b", 7, 40, false));
  CHECK(registry.connected().size() == 1);
  registry.erase("a");
  CHECK_FALSE(registry.get("a"));
  CHECK(registry.total_bytes() == 320);  // a counter never goes back
}

TEST_CASE("latency histogram buckets are upper-inclusive", "[core][figures]") {
  LatencyHistogram histogram;
  histogram.observe(0.001);   // first bucket (le 0.001)
  histogram.observe(0.0011);  // second
  histogram.observe(60);      // +Inf
  const auto snapshot = histogram.snapshot();
  CHECK(snapshot.count == 3);
  CHECK(snapshot.buckets[0] == 1);
  CHECK(snapshot.buckets[1] == 1);
  CHECK(snapshot.buckets.back() == 1);
  CHECK(snapshot.sum_seconds == Approx(60.0021));
}
