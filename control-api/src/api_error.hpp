#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/beast/http/status.hpp>
#include <nlohmann/json.hpp>

#include "looplive/http/response.hpp"

namespace looplive::control_api {

namespace bhttp = boost::beast::http;

// A failure the client can act on, answered with its status and
// {"error": {"code": ..., "message": ...}}.
class ApiError : public std::runtime_error {
 public:
  ApiError(bhttp::status status, std::string code, const std::string& message)
      : std::runtime_error(message), status_(status), code_(std::move(code)) {}
  bhttp::status status() const { return status_; }
  const std::string& code() const { return code_; }

 private:
  bhttp::status status_;
  std::string code_;
};

http::Response json_response(bhttp::status status, const nlohmann::json& body);
http::Response error_response(bhttp::status status, std::string_view code,
                              std::string_view message);
// Runs `fn`; what it throws becomes the matching error response: ApiError as
// it says, a missing stream 404, a finished one 409, an unreachable database
// 503, an invalid argument 422, anything else 500 (logged, not shown).
http::Response guarded(const std::function<http::Response()>& fn);

}  // namespace looplive::control_api
