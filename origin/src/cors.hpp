#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "looplive/http/response.hpp"

namespace looplive::origin {

// Cross-origin access for browser players (hls.js, dash.js, Shaka) on other sites.
class CorsPolicy {
 public:
  explicit CorsPolicy(std::vector<std::string> allowed_origins);

  // Allow-Origin and Expose-Headers on every answer, errors included, so a
  // player can read a 404 or a 416 instead of seeing a network error.
  void apply(std::string_view request_origin, http::Response& response) const;
  // The answer to a preflight OPTIONS request, for any path.
  http::Response preflight(std::string_view request_origin) const;

 private:
  bool any_ = false;
  std::vector<std::string> allowed_;
};

}  // namespace looplive::origin
