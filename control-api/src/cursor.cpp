#include "cursor.hpp"

#include <regex>

#include "looplive/core/base64url.hpp"
#include "request_body.hpp"

namespace looplive::control_api {

std::string encode_cursor(const Cursor& cursor) {
  return core::base64url(cursor.created_at + "," + cursor.id);
}

std::optional<Cursor> decode_cursor(std::string_view text) {
  static const std::regex kTimestamp(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$)");
  if (text.empty() || text.size() > 128) return std::nullopt;
  auto plain = core::unbase64url(text);
  if (!plain) return std::nullopt;
  const auto comma = plain->find(',');
  if (comma == std::string::npos) return std::nullopt;
  Cursor cursor{plain->substr(0, comma), plain->substr(comma + 1)};
  if (!std::regex_match(cursor.created_at, kTimestamp) || !is_uuid(cursor.id)) return std::nullopt;
  return cursor;
}

}  // namespace looplive::control_api
