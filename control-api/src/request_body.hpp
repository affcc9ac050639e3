#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "looplive/http/request.hpp"

namespace looplive::control_api {

// The request body as a JSON object: an empty body is {}, anything that is
// not JSON is 400, JSON that is not an object 422.
nlohmann::json json_body(const http::Request& request);
// 422 naming the first field that is not one of `known`: a typo must not pass unnoticed.
void reject_unknown_fields(const nlohmann::json& body,
                           std::initializer_list<std::string_view> known);
// 422 when present with another type.
std::optional<bool> optional_bool(const nlohmann::json& body, const std::string& field);
std::optional<std::string> optional_string(const nlohmann::json& body, const std::string& field);

// A list's `limit` query parameter: `fallback` when absent, 422 unless a
// whole number from 1 to `most`.
size_t page_limit(const http::Request& request, size_t fallback, size_t most);

bool is_uuid(std::string_view text);
// 404 unless `id` is a UUID: nothing else can name a stream.
void require_stream_id(const std::string& id);
// Stream ids are stored, named on disk and compared in lower case. The API
// takes any case (PostgreSQL would match it) and canonicalises ids here, at
// the edge, so no component ever sees another spelling of one.
std::string canonical_stream_id(std::string_view text);
bool is_form(const http::Request& request);  // application/x-www-form-urlencoded

}  // namespace looplive::control_api
