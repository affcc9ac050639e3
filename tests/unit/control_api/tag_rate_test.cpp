#include <catch2/catch.hpp>

#include "tag_rate.hpp"

using looplive::control_api::TagRate;
using namespace std::chrono_literals;

TEST_CASE("each stream takes tags at its rate after a burst of twice that", "[control_api]") {
  TagRate rate(50);
  const auto start = std::chrono::steady_clock::time_point{} + 1h;
  int burst = 0;
  while (rate.take("a", start)) ++burst;
  CHECK(burst == 100);
  CHECK(rate.take("b", start));  // streams do not share a bucket
  // Then 50 a second, sustained: one every 20 ms.
  int sustained = 0;
  for (auto at = start + 20ms; at <= start + 10s; at += 20ms) sustained += rate.take("a", at);
  CHECK(sustained == 500);
  CHECK_FALSE(rate.take("a", start + 10s));
}
