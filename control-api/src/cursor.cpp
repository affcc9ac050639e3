#include "cursor.hpp"

#include <regex>

#include "request_body.hpp"

namespace looplive::control_api {

namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url(std::string_view in) {
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (unsigned char c : in) {
    bits = (bits << 8) | c;
    count += 8;
    while (count >= 6) out += kAlphabet[(bits >> (count -= 6)) & 63];
  }
  if (count > 0) out += kAlphabet[(bits << (6 - count)) & 63];
  return out;
}

std::optional<std::string> unbase64url(std::string_view in) {
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (char c : in) {
    const auto value = kAlphabet.find(c);
    if (value == std::string_view::npos) return std::nullopt;
    bits = (bits << 6) | static_cast<uint32_t>(value);
    count += 6;
    if (count >= 8) out += static_cast<char>((bits >> (count -= 8)) & 0xff);
  }
  return out;
}

}  // namespace

std::string encode_cursor(const Cursor& cursor) {
  return base64url(cursor.created_at + "," + cursor.id);
}

std::optional<Cursor> decode_cursor(std::string_view text) {
  static const std::regex kTimestamp(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$)");
  if (text.empty() || text.size() > 128) return std::nullopt;
  auto plain = unbase64url(text);
  if (!plain) return std::nullopt;
  const auto comma = plain->find(',');
  if (comma == std::string::npos) return std::nullopt;
  Cursor cursor{plain->substr(0, comma), plain->substr(comma + 1)};
  if (!std::regex_match(cursor.created_at, kTimestamp) || !is_uuid(cursor.id)) return std::nullopt;
  return cursor;
}

}  // namespace looplive::control_api
