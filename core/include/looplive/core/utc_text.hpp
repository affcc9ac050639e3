#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace looplive::core {

// The one way a date is written: "2024-05-01T12:00:00.123" then `zone`, with
// `digits` digits of `fraction` (below 10^digits) after the seconds.
std::string utc_text(int64_t unix_seconds, int64_t fraction, int digits, const char* zone);
// The Unix time in milliseconds of an RFC 3339 date-time
// ("2024-05-01T12:00:00.123Z", "...+02:00"; any fraction, cut to
// milliseconds); nothing for any other text.
std::optional<int64_t> parse_utc_ms(std::string_view text);

}  // namespace looplive::core
