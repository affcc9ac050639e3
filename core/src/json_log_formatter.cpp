#include "json_log_formatter.hpp"

#include <chrono>
#include <string_view>

#include "looplive/core/client_text.hpp"
#include "looplive/core/utc_text.hpp"

namespace looplive::core {

namespace {

void append(spdlog::memory_buf_t& out, std::string_view text) {
  out.append(text.data(), text.data() + text.size());
}

void append_string(spdlog::memory_buf_t& out, std::string_view text) {
  out.push_back('"');
  while (!text.empty()) {
    const char c = text[0];
    const size_t length = utf8_sequence_length(text);
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
