#include <catch2/catch.hpp>

#include <fstream>

#include "looplive/core/config.hpp"

using looplive::core::ConfigError;
using looplive::core::load_config;
using looplive::core::parse_config;

namespace {

std::string error_of(const std::string& yaml) {
  try {
    parse_config(yaml, "test.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("an empty file gives the documented defaults", "[core][config]") {
  auto config = parse_config("", "empty.yaml");
  CHECK(config.rtmp.port == 1935);
  CHECK(config.rtmp.app == "live");
  CHECK(config.rtmp.handshake_timeout == std::chrono::seconds(10));
  CHECK(config.rtmp.idle_timeout == std::chrono::seconds(30));
  CHECK(config.packager.segment_duration == std::chrono::seconds(2));
  CHECK(config.packager.live_window == 6);
  CHECK(config.log.level == "info");
}

TEST_CASE("values are read from every section", "[core][config]") {
  auto config = parse_config(R"(
server: {io_threads: 3, blocking_threads: 4}
log: {level: debug, loggers: {ingest: trace}}
rtmp: {host: 127.0.0.1, port: 19350, app: shop, idle_timeout_ms: 5000, max_connections: 7}
database: {url: "host=/tmp dbname=x", connect_timeout_ms: 500}
packager: {segment_duration_ms: 4000, live_window: 10, write_live_to_disk: false}
)",
                             "t.yaml");
  CHECK(config.server.io_threads == 3);
  CHECK(config.server.blocking_threads == 4);
  CHECK(config.log.level == "debug");
  CHECK(config.log.loggers.at("ingest") == "trace");
  CHECK(config.rtmp.host == "127.0.0.1");
  CHECK(config.rtmp.port == 19350);
  CHECK(config.rtmp.app == "shop");
  CHECK(config.rtmp.idle_timeout == std::chrono::seconds(5));
  CHECK(config.rtmp.max_connections == 7);
  CHECK(config.database.url == "host=/tmp dbname=x");
  CHECK(config.packager.segment_duration == std::chrono::seconds(4));
  CHECK(config.packager.live_window == 10);
  CHECK_FALSE(config.packager.write_live_to_disk);
}

TEST_CASE("bad configuration names the file, the key and the reason", "[core][config]") {
  CHECK(error_of("rtmp: {prot: 1935}") == "test.yaml: rtmp.prot: unknown key");
  CHECK(error_of("bogus: 1") == "test.yaml: bogus: unknown key");
  CHECK(error_of("rtmp: {port: abc}") == "test.yaml: rtmp.port: must be an integer");
  CHECK(error_of("rtmp: {port: 70000}") ==
        "test.yaml: rtmp.port: must be between 1 and 65535, got 70000");
  CHECK(error_of("rtmp: {app: ''}") == "test.yaml: rtmp.app: must be a non-empty name without '/'");
  CHECK(error_of("log: {level: loud}") == "test.yaml: log.level: unknown log level 'loud'");
  CHECK(error_of("log: {loggers: {ingest: loud}}") ==
        "test.yaml: log.loggers.ingest: unknown log level 'loud'");
  CHECK(error_of("packager: {write_live_to_disk: maybe}") ==
        "test.yaml: packager.write_live_to_disk: must be true or false");
  CHECK(error_of("packager: {segment_duration_ms: 11000}").find("packager.segment_duration_ms") !=
        std::string::npos);
  CHECK(error_of("packager: {segment_duration_ms: 1000, fragment_duration_ms: 2000}") ==
        "test.yaml: packager.fragment_duration_ms: must not exceed segment_duration_ms");
  CHECK(error_of("rtmp: [1, 2]") == "test.yaml: rtmp: must be a mapping");
  CHECK(error_of("rtmp: {port: 1935").find("test.yaml") == 0);  // YAML syntax error
}

TEST_CASE("the sample configuration is valid and documents every default", "[core][config]") {
  auto sample = load_config(std::string(LOOPLIVE_SOURCE_DIR) + "/conf/looplive.yaml");
  auto defaults = parse_config("", "defaults");
  CHECK(sample.rtmp.port == defaults.rtmp.port);
  CHECK(sample.rtmp.idle_timeout == defaults.rtmp.idle_timeout);
  CHECK(sample.rtmp.max_message_size == defaults.rtmp.max_message_size);
  CHECK(sample.packager.segment_duration == defaults.packager.segment_duration);
  CHECK(sample.packager.media_root == defaults.packager.media_root);
  CHECK(sample.database.url == defaults.database.url);
}

TEST_CASE("a missing file is reported", "[core][config]") {
  CHECK_THROWS_WITH(load_config("/nonexistent/looplive.yaml"),
                    "/nonexistent/looplive.yaml: cannot be read");
}
