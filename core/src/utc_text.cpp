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

std::optional<int64_t> parse_utc_ms(std::string_view text) {
  const auto digits = [&](size_t at, size_t count) -> std::optional<int> {
    if (at + count > text.size()) return std::nullopt;
    int value = 0;
    for (size_t i = at; i < at + count; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  const auto at = [&](size_t i, char c) { return i < text.size() && text[i] == c; };
  const auto year = digits(0, 4), month = digits(5, 2), day = digits(8, 2), hour = digits(11, 2),
             minute = digits(14, 2), second = digits(17, 2);
  if (!year || !month || !day || !hour || !minute || !second || !at(4, '-') || !at(7, '-') ||
      !(at(10, 'T') || at(10, 't')) || !at(13, ':') || !at(16, ':'))
    return std::nullopt;
  if (*month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 ||
      *second > 60)
    return std::nullopt;
  size_t i = 19;
  int64_t ms = 0;
  if (at(i, '.')) {
    size_t n = 0;
    for (++i; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++n)
      if (n < 3) ms = ms * 10 + (text[i] - '0');
    if (n == 0) return std::nullopt;
    for (; n < 3; ++n) ms *= 10;
  }
  int64_t offset_minutes = 0;
  if (at(i, 'Z') || at(i, 'z')) {
    ++i;
  } else if (at(i, '+') || at(i, '-')) {
    const auto zone_hours = digits(i + 1, 2), zone_minutes = digits(i + 4, 2);
    if (!zone_hours || !zone_minutes || !at(i + 3, ':')) return std::nullopt;
    offset_minutes = (*zone_hours * 60 + *zone_minutes) * (text[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != text.size()) return std::nullopt;
  std::tm parts{};
  parts.tm_year = *year - 1900;
  parts.tm_mon = *month - 1;
  parts.tm_mday = *day;
  parts.tm_hour = *hour;
  parts.tm_min = *minute;
  parts.tm_sec = *second;
  const std::time_t seconds = timegm(&parts);
  return (static_cast<int64_t>(seconds) - offset_minutes * 60) * 1000 + ms;
}

}  // namespace looplive::core
