#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace looplive::control_api {

// "http[s]://host[:port][/path][?query]", IPv6 hosts in brackets; a user
// name in the URL is refused.
bool is_webhook_url(std::string_view url);

struct PostResult {
  int status = 0;     // 0 when no response arrived
  std::string error;  // empty on a 2xx
};

struct PostOptions {
  std::chrono::milliseconds connect_timeout{2'000};  // TCP and TLS handshake
  std::chrono::milliseconds timeout{5'000};          // the whole exchange
  // PEM certificates to trust for https instead of the system's store; the
  // server's certificate and name are always verified.
  std::string ca_file;
};

// One HTTP/1.1 POST with libcurl, blocking the calling thread; `stop`
// turning true aborts it within about a second. Redirects are not followed.
PostResult http_post(const std::string& url, const std::string& body,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     const PostOptions& options, const std::atomic<bool>& stop);

}  // namespace looplive::control_api
