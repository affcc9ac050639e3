#include "date_cache.hpp"

#include <ctime>

#include "looplive/http/util.hpp"

namespace looplive::http::detail {

const std::string& current_http_date() {
  // Per thread, so the request path takes no lock.
  thread_local std::time_t cached_second = -1;
  thread_local std::string cached;
  std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    cached = http_date(now);
    cached_second = now;
  }
  return cached;
}

}  // namespace looplive::http::detail
