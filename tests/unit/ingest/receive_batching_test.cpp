#include <catch2/catch.hpp>

#include "receive_batching.hpp"

using looplive::ingest::ReceiveBatching;
using namespace std::chrono_literals;

TEST_CASE("the low-water mark follows the publisher's rate", "[ingest][batching]") {
  ReceiveBatching batching(40ms);
  REQUIRE(batching.enabled());
  CHECK(batching.mark() == 1);

  // 2.5 Mbit/s is 312,500 bytes a second: 40 ms of it is 12,500 bytes.
  CHECK(batching.after_tick(156'250, 500ms) == 12'500);
  // Within a quarter of the mark set: left alone.
  CHECK_FALSE(batching.after_tick(170'000, 500ms).has_value());
  CHECK_FALSE(batching.after_tick(130'000, 500ms).has_value());
  CHECK(batching.mark() == 12'500);
  // A faster encoder raises it; a fast one is capped.
  CHECK(batching.after_tick(400'000, 500ms) == 32'000);
  CHECK(batching.after_tick(100'000'000, 500ms) == ReceiveBatching::kMaxMark);
  // A slower one lowers it at once.
  CHECK(batching.after_tick(40'000, 500ms) == 3'200);
}

TEST_CASE("a publisher that pauses gets its data delivered at the next tick",
          "[ingest][batching]") {
  ReceiveBatching batching(40ms);
  REQUIRE(batching.after_tick(156'250, 500ms) == 12'500);
  // Nothing (or a few bytes) in a tick: back to waking on every byte.
  CHECK(batching.after_tick(0, 500ms) == 1);
  CHECK_FALSE(batching.after_tick(0, 500ms).has_value());
  REQUIRE(batching.after_tick(156'250, 500ms) == 12'500);
  CHECK(batching.after_tick(20, 500ms) == 1);
}

TEST_CASE("stopping batching restores the default mark once", "[ingest][batching]") {
  ReceiveBatching batching(40ms);
  CHECK_FALSE(batching.stop().has_value());
  REQUIRE(batching.after_tick(156'250, 500ms).has_value());
  CHECK(batching.stop() == 1);
  CHECK_FALSE(batching.stop().has_value());
}

TEST_CASE("a zero window turns batching off", "[ingest][batching]") {
  ReceiveBatching batching(0ms);
  CHECK_FALSE(batching.enabled());
  CHECK_FALSE(batching.after_tick(156'250, 500ms).has_value());
  CHECK(batching.mark() == 1);
}

TEST_CASE("the mark stays under half the window the publisher waits for acknowledgements on",
          "[ingest][batching]") {
  ReceiveBatching batching(40ms);
  REQUIRE(batching.after_tick(156'250, 500ms) == 12'500);
  // A publisher that waits for an acknowledgement every 10,000 bytes.
  CHECK(batching.fit_ack_window(10'000) == 5'000);  // lowered at once
  CHECK(batching.mark() == 5'000);
  CHECK_FALSE(batching.after_tick(156'250, 500ms).has_value());  // held at the cap
  CHECK_FALSE(batching.fit_ack_window(0).has_value());           // 0: none announced
  CHECK_FALSE(batching.fit_ack_window(2'500'000).has_value());   // a wide window lowers nothing
  CHECK(batching.after_tick(156'250, 500ms) == 12'500);          // and lifts the cap
}
