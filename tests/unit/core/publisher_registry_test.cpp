#include "looplive/core/publisher_registry.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace looplive::core;

TEST_CASE("a stream has at most one publisher", "[core][registry]") {
  PublisherRegistry registry;
  int kicked = 0;
  auto first = registry.claim({"s1", false}, [&] { ++kicked; });
  REQUIRE(first);
  CHECK_FALSE(registry.claim({"s1", false}, [] {}));
  CHECK(registry.claim({"s2", false}, [] {}));
  CHECK(registry.live_count() == 2);
  CHECK(registry.kick("s1"));
  CHECK(kicked == 1);
  CHECK_FALSE(registry.kick("nobody"));
  registry.release("s1", *first + 100, EndReason::kicked);  // a stale token releases nothing
  CHECK(registry.is_live("s1"));
  registry.release("s1", *first, EndReason::kicked);
  CHECK_FALSE(registry.is_live("s1"));
  CHECK(registry.claim({"s1", false}, [] {}));
}

TEST_CASE("the listener hears every claim and release, and nothing else", "[core][registry]") {
  PublisherRegistry registry;
  std::vector<PublisherEvent> heard;
  registry.listen([&](const PublisherEvent& event) { heard.push_back(event); });
  auto first = registry.claim({"s1", true}, [] {});
  REQUIRE(first);
  CHECK_FALSE(registry.claim({"s1", false}, [] {}));        // refused: not a publish
  registry.release("s1", *first + 1, EndReason::shutdown);  // stale: nothing happened
  registry.release("s1", *first, EndReason::publisher_timeout);
  auto second = registry.claim({"s1", false}, [] {});
  REQUIRE(second);
  CHECK(*second > *first);

  REQUIRE(heard.size() == 3);
  CHECK(heard[0].kind == PublisherEvent::Kind::claimed);
  CHECK(heard[0].stream_id == "s1");
  CHECK(heard[0].token == *first);
  CHECK(heard[0].record);
  CHECK(heard[1].kind == PublisherEvent::Kind::released);
  CHECK(heard[1].token == *first);
  CHECK(heard[1].reason == EndReason::publisher_timeout);
  CHECK(heard[2].kind == PublisherEvent::Kind::claimed);
  CHECK_FALSE(heard[2].record);

  registry.listen({});
  registry.release("s1", *second, EndReason::kicked);
  CHECK(heard.size() == 3);
}
