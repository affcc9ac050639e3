#include "request_body.hpp"

#include <cctype>
#include <charconv>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>

#include "api_error.hpp"
#include "looplive/http/util.hpp"

namespace looplive::control_api {
namespace {

// Writing JSON out recurses once per level, on an I/O thread's stack: a
// 64 KiB body of '[' would be 32,768 levels. No request needs more than a few.
constexpr int kMaxDepth = 32;

// Whether arrays and objects in `text` nest deeper than kMaxDepth (brackets
// inside strings do not count). Malformed text is left to the parser.
bool nests_too_deep(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

}  // namespace

nlohmann::json json_body(const http::Request& request) {
  const std::string& text = request.message.body();
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return nlohmann::json::object();
  if (nests_too_deep(text))
    throw ApiError(
        bhttp::status::unprocessable_entity, "invalid",
        "The body nests arrays and objects deeper than " + std::to_string(kMaxDepth) + " levels.");
  auto body = nlohmann::json::parse(text, nullptr, false);
  if (body.is_discarded())
    throw ApiError(bhttp::status::bad_request, "bad_request", "The body is not valid JSON.");
  if (!body.is_object())
    throw ApiError(bhttp::status::unprocessable_entity, "invalid",
                   "The body must be a JSON object.");
  return body;
}

void reject_unknown_fields(const nlohmann::json& body,
                           std::initializer_list<std::string_view> known) {
  for (const auto& [name, value] : body.items()) {
    bool found = false;
    for (auto field : known) found |= field == name;
    if (!found)
      throw ApiError(bhttp::status::unprocessable_entity, "invalid",
                     "Unknown field \"" + name + "\".");
  }
}

std::optional<bool> optional_bool(const nlohmann::json& body, const std::string& field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean())
    throw ApiError(bhttp::status::unprocessable_entity, "invalid",
                   "\"" + field + "\" must be true or false.");
  return it->get<bool>();
}

std::optional<std::string> optional_string(const nlohmann::json& body, const std::string& field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string())
    throw ApiError(bhttp::status::unprocessable_entity, "invalid",
                   "\"" + field + "\" must be a string.");
  return it->get<std::string>();
}

size_t page_limit(const http::Request& request, size_t fallback, size_t most) {
  const auto text = http::query_param(request.query(), "limit");
  if (!text) return fallback;
  size_t parsed = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), parsed);
  if (ec != std::errc() || end != text->data() + text->size() || parsed < 1 || parsed > most)
    throw ApiError(bhttp::status::unprocessable_entity, "invalid",
                   "\"limit\" must be a whole number from 1 to " + std::to_string(most) + ".");
  return parsed;
}

bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

std::string canonical_stream_id(std::string_view text) {
  std::string id(text);
  for (char& c : id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return id;
}

void require_stream_id(const std::string& id) {
  if (!is_uuid(id)) throw ApiError(bhttp::status::not_found, "not_found", "No stream has this id.");
}

bool is_form(const http::Request& request) {
  std::string_view type = request.header(bhttp::field::content_type);
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  return boost::beast::iequals(type, "application/x-www-form-urlencoded");
}

}  // namespace looplive::control_api
