#include "cursor.hpp"

#include <algorithm>
#include <charconv>
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

std::string encode_tag_cursor(const db::TagPosition& position) {
  return core::base64url(std::to_string(position.media_time_ms) + "," +
                         std::to_string(position.id));
}

std::optional<db::TagPosition> decode_tag_cursor(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  const auto plain = core::unbase64url(text);
  if (!plain) return std::nullopt;
  const char* begin = plain->data();
  const char* end = begin + plain->size();
  const char* comma = std::find(begin, end, ',');
  db::TagPosition position;
  const auto time = std::from_chars(begin, comma, position.media_time_ms);
  if (comma == end || time.ec != std::errc() || time.ptr != comma) return std::nullopt;
  const auto id = std::from_chars(comma + 1, end, position.id);
  if (id.ec != std::errc() || id.ptr != end) return std::nullopt;
  return position;
}

}  // namespace looplive::control_api
