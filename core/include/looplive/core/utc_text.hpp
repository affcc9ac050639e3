#pragma once

#include <cstdint>
#include <string>

namespace looplive::core {

// The one way a date is written: "2024-05-01T12:00:00.123" then `zone`, with
// `digits` digits of `fraction` (below 10^digits) after the seconds.
std::string utc_text(int64_t unix_seconds, int64_t fraction, int digits, const char* zone);

}  // namespace looplive::core
