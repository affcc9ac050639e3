#include <catch2/catch.hpp>

#include <stdexcept>
#include <thread>

#include "metrics.hpp"

using looplive::control_api::DatabaseFigures;
using looplive::db::StreamStatus;
using namespace std::chrono_literals;

TEST_CASE("/metrics counts the tables at most once per interval", "[control_api][metrics]") {
  DatabaseFigures figures(200ms);
  int counted = 0;
  const auto count = [&] {
    ++counted;
    DatabaseFigures::Counts counts;
    counts.streams[StreamStatus::live] = uint64_t(counted);
    return counts;
  };
  CHECK(figures.get(count).streams.at(StreamStatus::live) == 1);
  for (int scrape = 0; scrape < 50; ++scrape) figures.get(count);
  CHECK(counted == 1);  // fifty scrapes, one count
  std::this_thread::sleep_for(250ms);
  CHECK(figures.get(count).streams.at(StreamStatus::live) == 2);

  // A count that fails is not kept: the scrape says so, the next one tries again.
  std::this_thread::sleep_for(250ms);
  CHECK_THROWS_AS(
      figures.get([]() -> DatabaseFigures::Counts { throw std::runtime_error("database down"); }),
      std::runtime_error);
  CHECK(figures.get(count).streams.at(StreamStatus::live) == 3);
}
