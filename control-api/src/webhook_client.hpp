#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace looplive::control_api {

struct HttpUrl {
  std::string host;
  std::string port = "80";
  std::string target = "/";  // path and query
};

// "http://host[:port][/path][?query]"; IPv6 hosts in brackets. Nothing for
// anything else (https is not supported).
std::optional<HttpUrl> parse_http_url(std::string_view url);

struct PostResult {
  int status = 0;     // 0 when no response arrived
  std::string error;  // empty on a 2xx
};

// One HTTP/1.1 POST with Beast, blocking the calling thread: connecting gives
// up after `connect_timeout`, the request and response after `timeout`, and
// `stop` turning true aborts within about 50 ms. Redirects are not followed.
PostResult http_post(const HttpUrl& url, const std::string& body,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     std::chrono::milliseconds connect_timeout, std::chrono::milliseconds timeout,
                     const std::atomic<bool>& stop);

}  // namespace looplive::control_api
