#include <catch2/catch.hpp>

#include "receive_batching.hpp"

using looplive::ingest::ReceiveBatching;

TEST_CASE("the low-water mark is the rest of the message being read", "[ingest][batching]") {
  ReceiveBatching batching(true);
  CHECK(batching.mark() == 1);

  CHECK(batching.wake_after(12'500) == 12'500);
  CHECK_FALSE(batching.wake_after(12'500).has_value());  // set already: no system call
  // Between messages: any byte wakes the server, so no whole message waits.
  CHECK(batching.wake_after(1) == 1);
  CHECK(batching.wake_after(0) == std::nullopt);  // 0 is 1
  // A keyframe larger than the cap wakes the server once per cap.
  CHECK(batching.wake_after(500'000) == ReceiveBatching::kMaxMark);
}

TEST_CASE("stopping batching restores the default mark once", "[ingest][batching]") {
  ReceiveBatching batching(true);
  CHECK_FALSE(batching.stop().has_value());
  REQUIRE(batching.wake_after(20'000).has_value());
  CHECK(batching.stop() == 1);
  CHECK_FALSE(batching.stop().has_value());
  // A second publish on the same connection batches again.
  CHECK(batching.wake_after(20'000) == 20'000);
}

TEST_CASE("batching turned off never sets a mark", "[ingest][batching]") {
  ReceiveBatching batching(false);
  CHECK_FALSE(batching.wake_after(12'500).has_value());
  CHECK(batching.mark() == 1);
}

TEST_CASE("the mark stays under half the window the publisher waits for acknowledgements on",
          "[ingest][batching]") {
  ReceiveBatching batching(true);
  REQUIRE(batching.wake_after(12'500) == 12'500);
  // A publisher that waits for an acknowledgement every 10,000 bytes.
  CHECK(batching.fit_ack_window(10'000) == 5'000);  // lowered at once
  CHECK(batching.mark() == 5'000);
  CHECK_FALSE(batching.wake_after(12'500).has_value());         // held at the cap
  CHECK_FALSE(batching.fit_ack_window(0).has_value());          // 0: none announced
  CHECK_FALSE(batching.fit_ack_window(2'500'000).has_value());  // a wide window lowers nothing
  CHECK(batching.wake_after(12'500) == 12'500);                 // and lifts the cap
}
