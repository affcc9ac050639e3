#include <catch2/catch.hpp>

#include <set>

#include "looplive/core/stream_key.hpp"

using namespace looplive::core;

TEST_CASE("stream keys are sk_ and 43 URL-safe base64 characters, all different", "[core][key]") {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    auto key = generate_stream_key();
    REQUIRE(key.size() == 3 + 43);
    CHECK(key.rfind("sk_", 0) == 0);
    CHECK(key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                                3) == std::string::npos);
    seen.insert(key);
  }
  CHECK(seen.size() == 200);
}

TEST_CASE("a key is stored as its SHA-256 and logged as a short prefix", "[core][key]") {
  CHECK(hash_stream_key("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hash_stream_key("sk_a") != hash_stream_key("sk_b"));
  CHECK(redact_key("sk_Xh03cfVxXR_kqDfkYTCZiDc6EXdt9qnLeBCWMknDi4Q") == "sk_Xh0…");
  CHECK(redact_key("abc") == "ab…");
}
