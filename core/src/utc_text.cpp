#include "looplive/core/utc_text.hpp"

#include <cstdio>
#include <ctime>

namespace looplive::core {

std::string utc_text(int64_t unix_seconds, int64_t fraction, int digits, const char* zone) {
  const auto time = static_cast<std::time_t>(unix_seconds);
  std::tm parts{};
  gmtime_r(&time, &parts);
  char text[128];  // room for any int the compiler can imagine in each field
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%0*lld%s", parts.tm_year + 1900,
                parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, digits,
                static_cast<long long>(fraction), zone);
  return text;
}

}  // namespace looplive::core
