#include "api_error.hpp"

#include <boost/beast/http/field.hpp>

#include "looplive/core/error.hpp"
#include "looplive/core/log.hpp"

namespace looplive::control_api {

http::Response json_response(bhttp::status status, const nlohmann::json& body) {
  // Client text is made valid UTF-8 where it enters; should any slip past, it
  // shows as U+FFFD rather than turning every listing into a 500.
  http::Response response(status,
                          body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                          "application/json");
  response.headers.set(bhttp::field::cache_control, "no-store");
  return response;
}

http::Response error_response(bhttp::status status, std::string_view code,
                              std::string_view message) {
  return json_response(status, {{"error", {{"code", code}, {"message", message}}}});
}

namespace {

// What a client is told of each kind of failure.
http::Response answer(const core::Failure& failure) {
  switch (failure.code()) {
    case core::ErrorCode::not_found:
      return error_response(bhttp::status::not_found, "not_found", "No stream has this id.");
    case core::ErrorCode::already_exists:
      return error_response(bhttp::status::conflict, "conflict", failure.what());
    case core::ErrorCode::conflict:
      return error_response(bhttp::status::conflict, "conflict", failure.what());
    case core::ErrorCode::unavailable:
      core::logger("api")->warn("database unavailable: {}", failure.what());
      return error_response(bhttp::status::service_unavailable, "unavailable",
                            "The database cannot be reached right now; try again in a moment.");
    case core::ErrorCode::invalid:
      return error_response(bhttp::status::unprocessable_entity, "invalid", failure.what());
    case core::ErrorCode::full:
      return error_response(bhttp::status::too_many_requests, "full", failure.what());
  }
  return error_response(bhttp::status::internal_server_error, "internal", "Unknown failure.");
}

}  // namespace

http::Response guarded(const std::function<http::Response()>& fn) {
  try {
    return fn();
  } catch (const ApiError& error) {
    return error_response(error.status(), error.code(), error.what());
  } catch (const core::Failure& error) {
    return answer(error);
  } catch (const std::invalid_argument& error) {
    return error_response(bhttp::status::unprocessable_entity, "invalid", error.what());
  } catch (const std::exception& error) {
    core::logger("api")->error("request failed: {}", error.what());
    return error_response(bhttp::status::internal_server_error, "internal",
                          "The request failed on the server; it has been logged.");
  }
}

}  // namespace looplive::control_api
