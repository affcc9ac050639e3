#pragma once

#include <cstdint>
#include <string>

namespace looplive::packager {

// 1714564800123 -> "2024-05-01T12:00:00.123Z"
std::string utc_timestamp(int64_t unix_ms);
// 2002 -> "2.002": seconds with three decimals.
std::string seconds_text(int64_t ms);
// 2500 -> "PT2.5S", 12000 -> "PT12S": an xs:duration for the MPD.
std::string iso_duration(int64_t ms);
// 30 -> "30.000" for HLS FRAME-RATE.
std::string fixed3(double value);

}  // namespace looplive::packager
