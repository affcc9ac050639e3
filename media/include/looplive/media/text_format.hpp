#pragma once

#include <cstdint>
#include <string>

// The text forms of times and durations in playlists, manifests and the API:
// the one place that formats a date.
namespace looplive::media {

// 1714564800123 -> "2024-05-01T12:00:00.123Z": HLS program date time, MPD times.
std::string utc_timestamp(int64_t unix_ms);
// 1714564800123456 -> "2024-05-01T12:00:00.123456+00:00", as PostgreSQL
// prints a timestamptz, so that API times read the same from either.
std::string utc_timestamp_us(int64_t unix_us);
// 2002 -> "2.002": seconds with three decimals.
std::string seconds_text(int64_t ms);
// 2500 -> "2.5", 12000 -> "12": seconds without trailing zeros.
std::string trimmed_seconds_text(int64_t ms);
// 2500 -> "PT2.5S", 12000 -> "PT12S": an xs:duration for the MPD.
std::string iso_duration(int64_t ms);
// 30 -> "30.000" for HLS FRAME-RATE.
std::string fixed3(double value);

}  // namespace looplive::media
