#include "api_error.hpp"

#include <boost/beast/http/field.hpp>

#include "looplive/core/log.hpp"
#include "looplive/db/database.hpp"
#include "looplive/db/stream_repository.hpp"

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

http::Response guarded(const std::function<http::Response()>& fn) {
  try {
    return fn();
  } catch (const ApiError& error) {
    return error_response(error.status(), error.code(), error.what());
  } catch (const db::NotFound&) {
    return error_response(bhttp::status::not_found, "not_found", "No stream has this id.");
  } catch (const db::InvalidTransition& error) {
    return error_response(bhttp::status::conflict, "conflict", error.what());
  } catch (const db::Unavailable& error) {
    core::logger("api")->warn("database unavailable: {}", error.what());
    return error_response(bhttp::status::service_unavailable, "unavailable",
                          "The database cannot be reached right now; try again in a moment.");
  } catch (const std::invalid_argument& error) {
    return error_response(bhttp::status::unprocessable_entity, "invalid", error.what());
  } catch (const std::exception& error) {
    core::logger("api")->error("request failed: {}", error.what());
    return error_response(bhttp::status::internal_server_error, "internal",
                          "The request failed on the server; it has been logged.");
  }
}

}  // namespace looplive::control_api
