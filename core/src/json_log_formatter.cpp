#include "json_log_formatter.hpp"

#include <chrono>
#include <string_view>

#include "looplive/core/utc_text.hpp"

namespace looplive::core {

namespace {

// Length of the valid UTF-8 sequence at the start of `text`, 0 if there is none.
size_t utf8_sequence(std::string_view text) {
  const auto first = static_cast<unsigned char>(text[0]);
  size_t length = first < 0x80                    ? 1
                  : first >= 0xC2 && first < 0xE0 ? 2
                  : first >= 0xE0 && first < 0xF0 ? 3
                  : first >= 0xF0 && first < 0xF5 ? 4
                                                  : 0;
  if (length == 0 || length > text.size()) return 0;
  for (size_t i = 1; i < length; ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) return 0;
  return length;
}

void append(spdlog::memory_buf_t& out, std::string_view text) {
  out.append(text.data(), text.data() + text.size());
}

void append_string(spdlog::memory_buf_t& out, std::string_view text) {
  out.push_back('"');
  while (!text.empty()) {
    const char c = text[0];
    const size_t length = utf8_sequence(text);
    if (length == 0) {
      append(out, "\xEF\xBF\xBD");  // U+FFFD
      text.remove_prefix(1);
      continue;
    }
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      const char escaped[] = {'\\', 'u', '0', '0', kHex[(c >> 4) & 0xF], kHex[c & 0xF]};
      append(out, {escaped, sizeof escaped});
    } else {
      append(out, text.substr(0, length));
    }
    text.remove_prefix(length);
  }
  out.push_back('"');
}

}  // namespace

void JsonLogFormatter::format(const spdlog::details::log_msg& message, spdlog::memory_buf_t& out) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(message.time.time_since_epoch())
          .count();
  append(out, R"({"time":")");
  append(out, utc_text(ms / 1000, ms % 1000, 3, "Z"));
  append(out, R"(","level":)");
  const auto level = spdlog::level::to_string_view(message.level);
  append_string(out, {level.data(), level.size()});
  append(out, R"(,"logger":)");
  append_string(out, {message.logger_name.data(), message.logger_name.size()});
  append(out, R"(,"msg":)");
  append_string(out, {message.payload.data(), message.payload.size()});
  append(out, "}\n");
}

}  // namespace looplive::core
