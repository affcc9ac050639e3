#include "looplive/media/text_format.hpp"

#include <cstdio>

#include "looplive/core/utc_text.hpp"

namespace looplive::media {
namespace {

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0);
}

}  // namespace

std::string utc_timestamp(int64_t unix_ms) {
  const int64_t seconds = floor_div(unix_ms, 1000);
  return core::utc_text(seconds, unix_ms - seconds * 1000, 3, "Z");
}

std::string utc_timestamp_us(int64_t unix_us) {
  const int64_t seconds = floor_div(unix_us, 1'000'000);
  return core::utc_text(seconds, unix_us - seconds * 1'000'000, 6, "+00:00");
}

std::string seconds_text(int64_t ms) {
  char text[32];
  const char* sign = ms < 0 ? "-" : "";
  const int64_t magnitude = ms < 0 ? -ms : ms;
  std::snprintf(text, sizeof text, "%s%lld.%03lld", sign, static_cast<long long>(magnitude / 1000),
                static_cast<long long>(magnitude % 1000));
  return text;
}

std::string trimmed_seconds_text(int64_t ms) {
  std::string seconds = seconds_text(ms);
  while (seconds.back() == '0') seconds.pop_back();
  if (seconds.back() == '.') seconds.pop_back();
  return seconds;
}

std::string iso_duration(int64_t ms) {
  return "PT" + trimmed_seconds_text(ms < 0 ? 0 : ms) + "S";
}

std::string fixed3(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", value);
  return text;
}

}  // namespace looplive::media
