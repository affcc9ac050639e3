#include "json_log_formatter.hpp"
#include "looplive/core/log.hpp"

#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <vector>

using looplive::core::JsonLogFormatter;

TEST_CASE("json logs are one parseable object per line, whatever the message holds",
          "[core][log]") {
  std::ostringstream written;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(written);
  spdlog::logger logger("origin", sink);
  logger.set_formatter(std::make_unique<JsonLogFormatter>());
  logger.info("method=GET path=/live/x/index.m3u8 status=200");
  logger.warn("encoder \"OBS\"\nsaid\ta \\ thing, caf\xC3\xA9 \xFF\xC3");
  logger.info("surrogate \xED\xA0\x80, overlong \xE0\x80\x80");

  std::vector<nlohmann::json> lines;
  std::istringstream in(written.str());
  for (std::string line; std::getline(in, line);) {
    INFO(line);
    auto parsed = nlohmann::json::parse(line, nullptr, false);
    REQUIRE_FALSE(parsed.is_discarded());
    lines.push_back(parsed);
  }
  REQUIRE(lines.size() == 3);
  CHECK(lines[0]["level"] == "info");
  CHECK(lines[0]["logger"] == "origin");
  CHECK(lines[0]["msg"] == "method=GET path=/live/x/index.m3u8 status=200");
  CHECK(std::string(lines[0]["time"]).size() == std::string("2026-12-05T01:02:03.456Z").size());
  CHECK(std::string(lines[0]["time"]).ends_with("Z"));
  CHECK(lines[1]["level"] == "warning");
  // Quotes, control characters and backslashes survive; bytes that are not
  // UTF-8 become U+FFFD, valid UTF-8 stays as it is.
  CHECK(lines[1]["msg"] ==
        "encoder \"OBS\"\nsaid\ta \\ thing, caf\xC3\xA9 \xEF\xBF\xBD\xEF\xBF\xBD");
  // Sequences that look like UTF-8 but are not (a surrogate, an overlong
  // form) are replaced byte by byte too: a strict JSON parser refuses them.
  const std::string bad = "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD";
  CHECK(lines[2]["msg"] == "surrogate " + bad + ", overlong " + bad);
}

TEST_CASE("log lines about a stream begin with the same context everywhere") {
  using looplive::core::log_context;
  CHECK(log_context("1c2d", 7) == "[stream=1c2d conn=7]");
  CHECK(log_context("1c2d") == "[stream=1c2d]");
  CHECK(log_context("", 7) == "[conn=7]");
}
