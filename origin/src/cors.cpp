#include "cors.hpp"

#include <algorithm>
#include <string>

namespace looplive::origin {

namespace bhttp = boost::beast::http;

namespace {

constexpr std::string_view kMethods = "GET, HEAD, OPTIONS";
// What hls.js, dash.js and Shaka send, plus the validators a cache may add.
constexpr std::string_view kRequestHeaders =
    "Range, If-None-Match, If-Modified-Since, If-Range, Cache-Control, Accept, Origin";
constexpr std::string_view kExposedHeaders = "Content-Length, Content-Range, Date, ETag";
constexpr std::string_view kPreflightMaxAge = "86400";

}  // namespace

CorsPolicy::CorsPolicy(std::vector<std::string> allowed_origins)
    : any_(std::find(allowed_origins.begin(), allowed_origins.end(), "*") != allowed_origins.end()),
      allowed_(std::move(allowed_origins)) {}

void CorsPolicy::apply(std::string_view request_origin, http::Response& response) const {
  if (any_) {
    response.headers.set(bhttp::field::access_control_allow_origin, "*");
  } else {
    // The answer depends on Origin, so a shared cache must keep one copy per
    // Origin (besides any other header the answer already varies on).
    const auto vary = response.headers[bhttp::field::vary];
    response.headers.set(bhttp::field::vary,
                         vary.empty() ? std::string("Origin") : std::string(vary) + ", Origin");
    bool listed = !request_origin.empty() &&
                  std::find(allowed_.begin(), allowed_.end(), request_origin) != allowed_.end();
    if (!listed) return;
    response.headers.set(bhttp::field::access_control_allow_origin, request_origin);
  }
  response.headers.set(bhttp::field::access_control_expose_headers, kExposedHeaders);
}

http::Response CorsPolicy::preflight(std::string_view request_origin) const {
  http::Response response(bhttp::status::no_content);
  apply(request_origin, response);
  response.headers.set(bhttp::field::allow, kMethods);
  response.headers.set(bhttp::field::access_control_allow_methods, kMethods);
  response.headers.set(bhttp::field::access_control_allow_headers, kRequestHeaders);
  response.headers.set(bhttp::field::access_control_max_age, kPreflightMaxAge);
  return response;
}

}  // namespace looplive::origin
