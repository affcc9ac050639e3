#include "looplive/core/client_text.hpp"

#include <algorithm>
#include <cstdint>

namespace looplive::core {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::string_view kEllipsis = "\xE2\x80\xA6";     // U+2026

}  // namespace

size_t utf8_sequence_length(std::string_view text) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  const uint8_t lead = byte(0);
  if (lead < 0x80) return 1;
  size_t length = 0;
  uint8_t low = 0x80;
  uint8_t high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  if (byte(1) < low || byte(1) > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

namespace {

bool is_control(std::string_view character) {
  const auto first = static_cast<uint8_t>(character[0]);
  if (character.size() == 1) return first < 0x20 || first == 0x7F;
  // C1 controls, U+0080..U+009F, are 0xC2 0x80..0x9F.
  return first == 0xC2 && static_cast<uint8_t>(character[1]) < 0xA0;
}

}  // namespace

std::string client_text(std::string_view text, size_t max_bytes) {
  std::string out;
  size_t fits_mark = 0;  // where `out` may be cut so that the mark still fits
  while (!text.empty()) {
    const size_t length = utf8_sequence_length(text);
    const std::string_view character =
        length == 0 || is_control(text.substr(0, length)) ? kReplacement : text.substr(0, length);
    if (out.size() + character.size() > max_bytes) {
      out.resize(fits_mark);
      if (out.size() + kEllipsis.size() <= max_bytes) out += kEllipsis;
      return out;
    }
    out += character;
    if (out.size() + kEllipsis.size() <= max_bytes) fits_mark = out.size();
    text.remove_prefix(length == 0 ? 1 : length);
  }
  return out;
}

}  // namespace looplive::core
