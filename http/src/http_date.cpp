#include <array>
#include <chrono>
#include <cstdio>

#include "looplive/http/util.hpp"

namespace looplive::http {

namespace chrono = std::chrono;

namespace {

constexpr std::array<std::string_view, 7> kShortDays = {"Sun", "Mon", "Tue", "Wed",
                                                        "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> kLongDays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                       "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Reads the fixed-layout date forms left to right; any mismatch fails the whole parse.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool literal(std::string_view expected) {
    if (text_.substr(0, expected.size()) != expected) return false;
    text_.remove_prefix(expected.size());
    return true;
  }

  bool number(size_t digits, int& out) {
    if (text_.size() < digits) return false;
    out = 0;
    for (size_t i = 0; i < digits; ++i) {
      char c = text_[i];
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
    }
    text_.remove_prefix(digits);
    return true;
  }

  template <size_t N>
  bool one_of(const std::array<std::string_view, N>& names, int& index) {
    for (size_t i = 0; i < N; ++i) {
      if (literal(names[i])) {
        index = int(i);
        return true;
      }
    }
    return false;
  }

  bool time_of_day(int& hour, int& minute, int& second) {
    return number(2, hour) && literal(":") && number(2, minute) && literal(":") &&
           number(2, second) && hour <= 23 && minute <= 59 && second <= 60;
  }

  bool done() const { return text_.empty(); }

 private:
  std::string_view text_;
};

struct Parts {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
};

bool imf_fixdate(Cursor c, Parts& p) {
  int weekday = 0;
  return c.one_of(kShortDays, weekday) && c.literal(", ") && c.number(2, p.day) && c.literal(" ") &&
         c.one_of(kMonths, p.month) && c.literal(" ") && c.number(4, p.year) && c.literal(" ") &&
         c.time_of_day(p.hour, p.minute, p.second) && c.literal(" GMT") && c.done();
}

bool rfc850_date(Cursor c, Parts& p) {
  int weekday = 0;
  if (!(c.one_of(kLongDays, weekday) && c.literal(", ") && c.number(2, p.day) && c.literal("-") &&
        c.one_of(kMonths, p.month) && c.literal("-") && c.number(2, p.year) && c.literal(" ") &&
        c.time_of_day(p.hour, p.minute, p.second) && c.literal(" GMT") && c.done()))
    return false;
  auto today = chrono::year_month_day{chrono::floor<chrono::days>(chrono::system_clock::now())};
  int this_year = int(today.year());
  int year = this_year - this_year % 100 + p.year;
  if (year > this_year + 50) year -= 100;
  p.year = year;
  return true;
}

bool asctime_date(Cursor c, Parts& p) {
  int weekday = 0;
  if (!(c.one_of(kShortDays, weekday) && c.literal(" ") && c.one_of(kMonths, p.month) &&
        c.literal(" ")))
    return false;
  if (!(c.literal(" ") ? c.number(1, p.day) : c.number(2, p.day))) return false;
  return c.literal(" ") && c.time_of_day(p.hour, p.minute, p.second) && c.literal(" ") &&
         c.number(4, p.year) && c.done();
}

}  // namespace

std::string http_date(std::time_t time) {
  // Most calls format the same few times over and over (a live file's
  // Last-Modified on every request for it): the last one is kept per thread.
  thread_local std::time_t last_time = -1;
  thread_local std::string last_text;
  if (time == last_time) return last_text;
  auto point = chrono::sys_seconds{chrono::seconds{time}};
  auto day = chrono::floor<chrono::days>(point);
  chrono::year_month_day date{day};
  chrono::hh_mm_ss clock{point - day};
  char text[64];
  int length = std::snprintf(text, sizeof text, "%s, %02u %s %04d %02d:%02d:%02d GMT",
                             kShortDays[chrono::weekday{day}.c_encoding()].data(),
                             unsigned(date.day()), kMonths[unsigned(date.month()) - 1].data(),
                             int(date.year()), int(clock.hours().count()),
                             int(clock.minutes().count()), int(clock.seconds().count()));
  last_text.assign(text, size_t(length));
  last_time = time;
  return last_text;
}

std::optional<std::time_t> parse_http_date(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  Parts p;
  Cursor cursor(text);
  if (!imf_fixdate(cursor, p) && !rfc850_date(cursor, p) && !asctime_date(cursor, p))
    return std::nullopt;
  chrono::year_month_day date{chrono::year{p.year}, chrono::month{unsigned(p.month) + 1},
                              chrono::day{unsigned(p.day)}};
  if (!date.ok()) return std::nullopt;
  auto point = chrono::sys_days{date} + chrono::hours{p.hour} + chrono::minutes{p.minute} +
               chrono::seconds{p.second};
  return std::time_t(point.time_since_epoch().count());
}

}  // namespace looplive::http
