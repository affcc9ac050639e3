#pragma once

#include <memory>

#include <spdlog/formatter.h>

namespace looplive::core {

// log.format json: one JSON object per line, for log shippers:
// {"time":"2026-12-05T01:02:03.456Z","level":"info","logger":"origin","msg":"method=GET ..."}
// Text that is not UTF-8 is written with U+FFFD in place of the bad bytes,
// so every line parses.
class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& message, spdlog::memory_buf_t& out) override;
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonLogFormatter>();
  }
};

}  // namespace looplive::core
