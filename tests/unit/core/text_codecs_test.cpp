#include <catch2/catch.hpp>

#include "looplive/core/base64url.hpp"
#include "looplive/core/utc_text.hpp"

using namespace looplive::core;

TEST_CASE("RFC 3339 date-times read back as Unix milliseconds", "[core]") {
  constexpr int64_t kNoon = 1714564800000;  // 2024-05-01T12:00:00Z
  CHECK(parse_utc_ms("2024-05-01T12:00:00Z") == kNoon);
  CHECK(parse_utc_ms("2024-05-01T12:00:00.123Z") == kNoon + 123);
  CHECK(parse_utc_ms("2024-05-01T12:00:00.1239999Z") == kNoon + 123);  // cut, not rounded
  CHECK(parse_utc_ms("2024-05-01T12:00:00.5+00:00") == kNoon + 500);
  CHECK(parse_utc_ms("2024-05-01T14:00:00+02:00") == kNoon);
  CHECK(parse_utc_ms("2024-05-01T11:30:00-00:30") == kNoon);
  CHECK(parse_utc_ms(utc_text(kNoon / 1000, 250, 3, "Z")) == kNoon + 250);
  for (const char* wrong :
       {"", "2024-05-01", "2024-05-01T12:00:00", "2024-05-01 12:00:00Z", "2024-13-01T12:00:00Z",
        "2024-05-01T12:00:00.Z", "2024-05-01T12:00:00Zjunk", "2024-05-01T12:00:00+0200"})
    CHECK_FALSE(parse_utc_ms(wrong));
}

TEST_CASE("URL-safe base64 round-trips any bytes without padding", "[core]") {
  CHECK(base64url("") == "");
  CHECK(base64url("f") == "Zg");
  CHECK(base64url("fo") == "Zm8");
  CHECK(base64url("foo") == "Zm9v");
  CHECK(base64url("\xfb\xff") == "-_8");
  const std::string bytes("\0\x01\xfe\xffjson{}", 10);
  CHECK(unbase64url(base64url(bytes)) == bytes);
  CHECK_FALSE(unbase64url("Zm9v+"));
}
