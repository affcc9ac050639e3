#include "looplive/media/text_format.hpp"

#include <catch2/catch.hpp>

using namespace looplive;

namespace {
constexpr int64_t kNoon = 1714564800000;  // 2024-05-01T12:00:00Z
}

TEST_CASE("dates", "[media]") {
  CHECK(media::utc_timestamp(kNoon + 123) == "2024-05-01T12:00:00.123Z");
  CHECK(media::utc_timestamp(0) == "1970-01-01T00:00:00.000Z");
  CHECK(media::utc_timestamp(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(media::utc_timestamp_us(kNoon * 1000 + 123456) == "2024-05-01T12:00:00.123456+00:00");
  CHECK(media::utc_timestamp_us(kNoon * 1000 + 7) == "2024-05-01T12:00:00.000007+00:00");
}

TEST_CASE("durations and numbers", "[media]") {
  CHECK(media::seconds_text(2002) == "2.002");
  CHECK(media::seconds_text(40) == "0.040");
  CHECK(media::seconds_text(-40) == "-0.040");
  CHECK(media::trimmed_seconds_text(2500) == "2.5");
  CHECK(media::trimmed_seconds_text(1250) == "1.25");
  CHECK(media::trimmed_seconds_text(12000) == "12");
  CHECK(media::iso_duration(12000) == "PT12S");
  CHECK(media::iso_duration(2500) == "PT2.5S");
  CHECK(media::iso_duration(0) == "PT0S");
  CHECK(media::fixed3(29.97002997) == "29.970");
}
