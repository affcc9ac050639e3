#include <catch2/catch.hpp>

#include <set>

#include "looplive/core/publisher_registry.hpp"
#include "looplive/core/stream_key.hpp"

using namespace looplive::core;

TEST_CASE("stream keys are sk_ and 43 URL-safe base64 characters, all different", "[core][key]") {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    auto key = generate_stream_key();
    REQUIRE(key.size() == 3 + 43);
    CHECK(key.rfind("sk_", 0) == 0);
    CHECK(key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 3) ==
          std::string::npos);
    seen.insert(key);
  }
  CHECK(seen.size() == 200);
}

TEST_CASE("a key is stored as its SHA-256 and logged as a short prefix", "[core][key]") {
  CHECK(hash_stream_key("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hash_stream_key("sk_a") != hash_stream_key("sk_b"));
  CHECK(redact_key("sk_Xh03cfVxXR_kqDfkYTCZiDc6EXdt9qnLeBCWMknDi4Q") == "sk_Xh0…");
  CHECK(redact_key("abc") == "ab…");
}

TEST_CASE("a stream has at most one publisher", "[core][registry]") {
  PublisherRegistry registry;
  int kicked = 0;
  auto first = registry.claim("s1", [&] { ++kicked; });
  REQUIRE(first);
  CHECK_FALSE(registry.claim("s1", [] {}));
  CHECK(registry.claim("s2", [] {}));
  CHECK(registry.live_count() == 2);
  CHECK(registry.kick("s1"));
  CHECK(kicked == 1);
  CHECK_FALSE(registry.kick("nobody"));
  registry.release("s1", *first + 100);  // a stale token releases nothing
  CHECK(registry.is_live("s1"));
  registry.release("s1", *first);
  CHECK_FALSE(registry.is_live("s1"));
  CHECK(registry.claim("s1", [] {}));
}
