#include "text_format.hpp"

#include <cstdio>
#include <ctime>

namespace looplive::packager {
namespace {

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0);
}

}  // namespace

std::string utc_timestamp(int64_t unix_ms) {
  const int64_t seconds = floor_div(unix_ms, 1000);
  const auto millis = static_cast<int>(unix_ms - seconds * 1000);
  const auto time = static_cast<std::time_t>(seconds);
  std::tm parts{};
  gmtime_r(&time, &parts);
  char text[96];  // room for any int the compiler can imagine in each field
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900,
                parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, millis);
  return text;
}

std::string seconds_text(int64_t ms) {
  char text[32];
  const char* sign = ms < 0 ? "-" : "";
  const int64_t magnitude = ms < 0 ? -ms : ms;
  std::snprintf(text, sizeof text, "%s%lld.%03lld", sign, static_cast<long long>(magnitude / 1000),
                static_cast<long long>(magnitude % 1000));
  return text;
}

std::string iso_duration(int64_t ms) {
  std::string seconds = seconds_text(ms < 0 ? 0 : ms);
  // xs:duration needs no trailing zeros; a bare integer reads better.
  while (seconds.back() == '0') seconds.pop_back();
  if (seconds.back() == '.') seconds.pop_back();
  return "PT" + seconds + "S";
}

std::string fixed3(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", value);
  return text;
}

}  // namespace looplive::packager
