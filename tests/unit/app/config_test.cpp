#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "config.hpp"
#include "process.hpp"

using looplive::app::load_config;
using looplive::app::parse_config;
using looplive::core::ConfigError;

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

TEST_CASE("an empty file gives the documented defaults", "[app][config]") {
  auto config = parse_config("", "empty.yaml");
  CHECK(config.rtmp.port == 1935);
  CHECK(config.rtmp.app == "live");
  CHECK(config.rtmp.handshake_timeout == std::chrono::seconds(10));
  CHECK(config.rtmp.idle_timeout == std::chrono::seconds(30));
  CHECK(config.rtmp.receive_batching);
  CHECK(config.packager.segment_duration == std::chrono::seconds(2));
  CHECK(config.packager.live_window == 6);
  CHECK_FALSE(config.packager.write_live_to_disk);  // the origin serves the live window from memory
  CHECK(config.log.level == "info");
  // One origin configuration, one set of defaults: CDN edges and NATs open many connections.
  CHECK(config.origin.limits.max_connections == 20'000);
  CHECK(config.origin.limits.max_connections_per_ip == 1'000);
  CHECK(config.origin.limits.max_connections_per_proxy == 10'000);
  CHECK(config.origin.limits.header_timeout == std::chrono::seconds(5));
  CHECK(config.api.host == "127.0.0.1");
  CHECK(config.api.port == 8081);
  CHECK(config.api.tokens.empty());
  CHECK(config.api.public_rtmp_url == "rtmp://localhost:1935/live");
  CHECK(config.api.public_playback_url == "http://localhost:8080");
  CHECK(config.api.hook_allowed_addresses == std::vector<std::string>{"127.0.0.1"});
  CHECK_FALSE(config.api.metrics_require_auth);
  CHECK(config.lifecycle.reconnect_window == std::chrono::seconds(10));
  CHECK(config.webhooks.urls.empty());
  CHECK(config.webhooks.initial_backoff == std::chrono::seconds(1));
  CHECK(config.webhooks.max_backoff == std::chrono::minutes(10));
  CHECK(config.webhooks.max_attempts == 16);
}

TEST_CASE("values are read from every section", "[app][config]") {
  auto config = parse_config(R"(
server: {io_threads: 3, blocking_threads: 4}
log: {level: debug, loggers: {ingest: trace}}
rtmp: {host: 127.0.0.1, port: 19350, app: shop, idle_timeout_ms: 5000, max_connections: 7}
database: {url: "host=/tmp dbname=x", connect_timeout_ms: 500}
packager: {segment_duration_ms: 4000, live_window: 10, write_live_to_disk: true, thumbnails: true}
origin: {port: 8088, max_connections_per_ip: 50, idle_timeout_ms: 9000, trusted_proxies: [10.0.0.0/8]}
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
  CHECK(config.packager.write_live_to_disk);
  CHECK(config.packager.thumbnails);
  CHECK(config.origin.port == 8088);
  CHECK(config.origin.limits.max_connections_per_ip == 50);
  CHECK(config.origin.limits.idle_timeout == std::chrono::seconds(9));
  CHECK(config.origin.trusted_proxies == std::vector<std::string>{"10.0.0.0/8"});
}

TEST_CASE("control API, lifecycle and webhook sections are read", "[app][config]") {
  auto config = parse_config(R"(
api:
  host: 0.0.0.0
  port: 9090
  tokens: [0123456789abcdef0123, fedcba9876543210fedc]
  public_rtmp_url: rtmps://live.example.com/live/
  public_playback_url: https://video.example.com/
  hook_allowed_addresses: [10.0.0.5, "::1"]
  metrics_require_auth: true
lifecycle: {reconnect_window_ms: 0}
webhooks:
  urls: [http://backend.internal:8000/hooks/looplive]
  secret: s3cret
  connect_timeout_ms: 500
  timeout_ms: 1500
  initial_backoff_ms: 100
  max_backoff_ms: 400
  max_attempts: 3
)",
                             "t.yaml");
  CHECK(config.api.host == "0.0.0.0");
  CHECK(config.api.port == 9090);
  CHECK(config.api.tokens.size() == 2);
  CHECK(config.api.public_rtmp_url == "rtmps://live.example.com/live");  // trailing slash dropped
  CHECK(config.api.public_playback_url == "https://video.example.com");
  CHECK(config.api.hook_allowed_addresses == std::vector<std::string>{"10.0.0.5", "::1"});
  CHECK(config.api.metrics_require_auth);
  CHECK(config.lifecycle.reconnect_window == std::chrono::milliseconds(0));
  CHECK(config.webhooks.urls ==
        std::vector<std::string>{"http://backend.internal:8000/hooks/looplive"});
  CHECK(config.webhooks.secret == "s3cret");
  CHECK(config.webhooks.connect_timeout == std::chrono::milliseconds(500));
  CHECK(config.webhooks.timeout == std::chrono::milliseconds(1500));
  CHECK(config.webhooks.initial_backoff == std::chrono::milliseconds(100));
  CHECK(config.webhooks.max_backoff == std::chrono::milliseconds(400));
  CHECK(config.webhooks.max_attempts == 3);
}

TEST_CASE("bad control API, lifecycle and webhook settings are refused", "[app][config]") {
  CHECK(error_of("api: {tokens: short}") == "test.yaml: api.tokens: must be a list of strings");
  CHECK(error_of("api: {tokens: [short]}") ==
        "test.yaml: api.tokens: every token must have at least 16 characters");
  CHECK(error_of("api: {tokens: ['0123456789abcdef,x']}") ==
        "test.yaml: api.tokens: tokens must not contain spaces or commas");
  CHECK(error_of("api: {read_tokens: [short]}") ==
        "test.yaml: api.read_tokens: every token must have at least 16 characters");
  CHECK(error_of("api: {port: 0}") == "test.yaml: api.port: must be between 1 and 65535, got 0");
  CHECK(error_of("api: {public_rtmp_url: http://x/live}") ==
        "test.yaml: api.public_rtmp_url: must start with rtmp:// or rtmps://");
  CHECK(error_of("api: {public_playback_url: video.example.com}") ==
        "test.yaml: api.public_playback_url: must start with http:// or https://");
  CHECK(error_of("api: {hook_allowed_addresses: [localhost]}") ==
        "test.yaml: api.hook_allowed_addresses: 'localhost' is not an IP address");
  CHECK(error_of("api: {metrics_require_auth: sometimes}") ==
        "test.yaml: api.metrics_require_auth: must be true or false");
  CHECK(error_of("api: {prot: 1}") == "test.yaml: api.prot: unknown key");
  CHECK(error_of("lifecycle: {reconnect_window_ms: 3600001}") ==
        "test.yaml: lifecycle.reconnect_window_ms: must be between 0 and 3600000, got 3600001");
  CHECK(error_of("lifecycle: {window: 1}") == "test.yaml: lifecycle.window: unknown key");
  CHECK(parse_config("webhooks: {urls: [https://x/hook]}", "t.yaml").webhooks.urls ==
        std::vector<std::string>{"https://x/hook"});
  CHECK(error_of("webhooks: {urls: [ftp://x]}") ==
        "test.yaml: webhooks.urls: 'ftp://x' must be an http:// or https:// URL with a host");
  CHECK(error_of("webhooks: {urls: ['https://user@x/hook']}") ==
        "test.yaml: webhooks.urls: 'https://user@x/hook' must be an http:// or https:// URL "
        "with a host");
  CHECK(error_of("webhooks: {previous_secret: old-secret}") ==
        "test.yaml: webhooks.previous_secret: is set without a secret to rotate to");
  CHECK(error_of("webhooks: {ca_file: /nonexistent/ca.pem}") ==
        "test.yaml: webhooks.ca_file: '/nonexistent/ca.pem' is not a readable file");
  CHECK(error_of("webhooks: {initial_backoff_ms: 5}") ==
        "test.yaml: webhooks.initial_backoff_ms: must be between 10 and 3600000, got 5");
  CHECK(error_of("webhooks: {initial_backoff_ms: 2000, max_backoff_ms: 1000}") ==
        "test.yaml: webhooks.max_backoff_ms: must not be less than initial_backoff_ms");
  CHECK(error_of("webhooks: {max_attempts: 0}") ==
        "test.yaml: webhooks.max_attempts: must be between 1 and 100, got 0");
  CHECK(error_of("webhooks: {timeout_ms: 50}") ==
        "test.yaml: webhooks.timeout_ms: must be between 100 and 120000, got 50");
}

TEST_CASE("bad configuration names the file, the key and the reason", "[app][config]") {
  CHECK(error_of("rtmp: {prot: 1935}") == "test.yaml: rtmp.prot: unknown key");
  CHECK(error_of("bogus: 1") == "test.yaml: bogus: unknown key");
  CHECK(error_of("rtmp: {port: abc}") == "test.yaml: rtmp.port: must be an integer");
  CHECK(error_of("rtmp: {port: 70000}") ==
        "test.yaml: rtmp.port: must be between 1 and 65535, got 70000");
  CHECK(error_of("rtmp: {app: ''}") == "test.yaml: rtmp.app: must be a non-empty name without '/'");
  CHECK(error_of("log: {level: loud}") == "test.yaml: log.level: unknown log level 'loud'");
  CHECK(error_of("log: {format: xml}") == "test.yaml: log.format: must be text or json");
  CHECK(parse_config("log: {format: json}", "t.yaml").log.format == "json");
  CHECK(error_of("log: {loggers: {ingest: loud}}") ==
        "test.yaml: log.loggers.ingest: unknown log level 'loud'");
  CHECK(error_of("packager: {write_live_to_disk: maybe}") ==
        "test.yaml: packager.write_live_to_disk: must be true or false");
  CHECK(error_of("packager: {segment_duration_ms: 11000}").find("packager.segment_duration_ms") !=
        std::string::npos);
  CHECK(error_of("packager: {segment_duration_ms: 1000, part_duration_ms: 2000}") ==
        "test.yaml: packager.part_duration_ms: must not exceed segment_duration_ms");
  // The setting's earlier name still works.
  CHECK(error_of("packager: {segment_duration_ms: 1000, fragment_duration_ms: 2000}") ==
        "test.yaml: packager.part_duration_ms: must not exceed segment_duration_ms");
  CHECK(error_of("rtmp: [1, 2]") == "test.yaml: rtmp: must be a mapping");
  // The time-based batching's key is refused with what replaced it.
  CHECK(error_of("rtmp: {receive_batch_ms: 40}") ==
        "test.yaml: rtmp.receive_batch_ms: was replaced by receive_batching (true or false): "
        "batching now follows RTMP messages and adds no latency");
  CHECK_FALSE(parse_config("rtmp: {receive_batching: false}", "t.yaml").rtmp.receive_batching);
  // A proxy list that cannot be read stops the start, not the first request.
  CHECK(error_of("origin: {trusted_proxies: [cdn.example.com]}") ==
        "test.yaml: origin.trusted_proxies: not an address: cdn.example.com");
  CHECK(error_of("origin: {trusted_proxies: [10.0.0.0/33]}") ==
        "test.yaml: origin.trusted_proxies: bad prefix length: 10.0.0.0/33");
  CHECK(error_of("rtmp: {port: 1935").find("test.yaml") == 0);  // YAML syntax error
}

TEST_CASE("the sample configuration is valid and documents every default", "[app][config]") {
  auto sample = load_config(std::string(LOOPLIVE_SOURCE_DIR) + "/conf/looplive.yaml");
  auto defaults = parse_config("", "defaults");
  CHECK(sample.rtmp.port == defaults.rtmp.port);
  CHECK(sample.log.format == defaults.log.format);
  CHECK(sample.rtmp.idle_timeout == defaults.rtmp.idle_timeout);
  CHECK(sample.rtmp.max_message_size == defaults.rtmp.max_message_size);
  CHECK(sample.packager.segment_duration == defaults.packager.segment_duration);
  // Written relative to conf/, the sample's media root is the default's in the checkout.
  CHECK(sample.packager.media_root ==
        (std::filesystem::path(LOOPLIVE_SOURCE_DIR) / defaults.packager.media_root)
            .lexically_normal()
            .string());
  CHECK(sample.database.url == defaults.database.url);
  CHECK(sample.api.host == defaults.api.host);
  CHECK(sample.api.port == defaults.api.port);
  CHECK(sample.api.tokens == defaults.api.tokens);
  CHECK(sample.api.public_rtmp_url == defaults.api.public_rtmp_url);
  CHECK(sample.api.public_playback_url == defaults.api.public_playback_url);
  CHECK(sample.api.hook_allowed_addresses == defaults.api.hook_allowed_addresses);
  CHECK(sample.api.metrics_require_auth == defaults.api.metrics_require_auth);
  CHECK(sample.lifecycle.reconnect_window == defaults.lifecycle.reconnect_window);
  CHECK(sample.lifecycle.drain_delay == defaults.lifecycle.drain_delay);
  CHECK(sample.ladder.by_default == defaults.ladder.by_default);
  CHECK(sample.webhooks.urls == defaults.webhooks.urls);
  CHECK(sample.webhooks.secret == defaults.webhooks.secret);
  CHECK(sample.webhooks.previous_secret == defaults.webhooks.previous_secret);
  CHECK(sample.webhooks.ca_file == defaults.webhooks.ca_file);
  CHECK(sample.webhooks.connect_timeout == defaults.webhooks.connect_timeout);
  CHECK(sample.webhooks.timeout == defaults.webhooks.timeout);
  CHECK(sample.webhooks.initial_backoff == defaults.webhooks.initial_backoff);
  CHECK(sample.webhooks.max_backoff == defaults.webhooks.max_backoff);
  CHECK(sample.webhooks.max_attempts == defaults.webhooks.max_attempts);
  CHECK(sample.origin.limits.max_connections == defaults.origin.limits.max_connections);
  CHECK(sample.origin.limits.max_connections_per_ip ==
        defaults.origin.limits.max_connections_per_ip);
  CHECK(sample.origin.vod_max_age_s == defaults.origin.vod_max_age_s);
  // The sample's import folder is the default's in the checkout, as for the media root.
  looplive::app::VodConfig vod = sample.vod;
  CHECK(vod.import_dir == (std::filesystem::path(LOOPLIVE_SOURCE_DIR) / defaults.vod.import_dir)
                              .lexically_normal()
                              .string());
  vod.import_dir = defaults.vod.import_dir;
  CHECK(vod == defaults.vod);
}

TEST_CASE("the vod section is read and checked", "[app][config]") {
  const auto config = parse_config(
      "vod: {workers: 3, import_dir: /srv/uploads, allow_urls: false, max_duration_seconds: 600,"
      " rungs: [720p@2800k, 360p@600k], preset: fast, threads: 4, poster_width: 640,"
      " io_timeout_ms: 5000}",
      "test.yaml");
  CHECK(config.vod.workers == 3);
  CHECK(config.vod.import_dir == "/srv/uploads");
  CHECK_FALSE(config.vod.allow_urls);
  CHECK(config.vod.max_duration_seconds == 600);
  CHECK(config.vod.rungs == std::vector<looplive::core::Rung>{{720, 2'800'000}, {360, 600'000}});
  CHECK(config.vod.preset == "fast");
  CHECK(config.vod.threads == 4);
  CHECK(config.vod.poster_width == 640);
  CHECK(config.vod.io_timeout == std::chrono::milliseconds(5000));
  CHECK(parse_config("", "t.yaml").vod.rungs ==
        std::vector<looplive::core::Rung>{{1080, 5'000'000}, {720, 2'800'000}});
  CHECK(error_of("vod: {workers: 17}").find("vod.workers") != std::string::npos);
  CHECK(error_of("vod: {rungs: [720x]}").find("vod.rungs") != std::string::npos);
  CHECK(error_of("vod: {rungs: [1080p@5000k, 720p@2800k, 480p@1200k, 360p@600k, 240p@300k]}")
            .find("at most 4 rungs") != std::string::npos);
  CHECK(error_of("vod: {colour: red}").find("vod.colour") != std::string::npos);
}

TEST_CASE("a missing file is reported", "[app][config]") {
  CHECK_THROWS_WITH(load_config("/nonexistent/looplive.yaml"),
                    "/nonexistent/looplive.yaml: cannot be read");
}

// Secrets kept out of the file come from the environment, read and checked
// with the file: --check-config and start-up see the same configuration.
TEST_CASE("environment variables replace secrets and are checked like the file", "[app][config]") {
  struct Unset {
    ~Unset() {
      for (const char* name :
           {"LOOPLIVE_DATABASE_URL", "LOOPLIVE_API_TOKENS", "LOOPLIVE_WEBHOOK_SECRET"})
        ::unsetenv(name);
    }
  } unset;
  const char* file = R"(
database: {url: "host=/nowhere"}
api: {tokens: [configured-token-0123]}
webhooks: {secret: from-file}
)";
  auto config = parse_config(file, "t.yaml");
  CHECK(config.database.url == "host=/nowhere");
  CHECK(config.api.tokens == std::vector<std::string>{"configured-token-0123"});
  CHECK(config.webhooks.secret == "from-file");

  ::setenv("LOOPLIVE_DATABASE_URL", "host=127.0.0.1 port=5433", 1);
  ::setenv("LOOPLIVE_API_TOKENS", " one-token-0123456789 ,two-token-0123456789,,", 1);
  ::setenv("LOOPLIVE_WEBHOOK_SECRET", "from-env", 1);
  config = parse_config(file, "t.yaml");
  CHECK(config.database.url == "host=127.0.0.1 port=5433");
  CHECK(config.api.tokens ==
        std::vector<std::string>{"one-token-0123456789", "two-token-0123456789"});
  CHECK(config.webhooks.secret == "from-env");

  // An empty variable is as good as none.
  ::setenv("LOOPLIVE_WEBHOOK_SECRET", "", 1);
  CHECK(parse_config(file, "t.yaml").webhooks.secret == "from-file");
  // The token rules hold for tokens from the environment too.
  ::setenv("LOOPLIVE_API_TOKENS", "short", 1);
  CHECK(error_of(file) ==
        "test.yaml: LOOPLIVE_API_TOKENS: every token must have at least 16 "
        "characters");
}

// The systemd unit's secrets file, read by looplive itself at start and at
// every reload: systemd gives a running process no new environment, so a
// token rotated there would otherwise never apply on `systemctl reload`.
TEST_CASE("an environment file replaces the environment, read anew at each load", "[app][config]") {
  struct Unset {
    ~Unset() { ::unsetenv("LOOPLIVE_WEBHOOK_SECRET"); }
  } unset;
  looplive::test::ScratchDir dir("config");
  const auto config_path = (dir.path() / "looplive.yaml").string();
  const auto env_path = (dir.path() / "looplive.env").string();
  const auto write = [](const std::string& path, const std::string& text) {
    looplive::test::write_bytes(path, {text.begin(), text.end()});
  };
  write(config_path, "api: {tokens: [configured-token-0123]}\nwebhooks: {secret: from-file}\n");
  ::setenv("LOOPLIVE_WEBHOOK_SECRET", "from-the-process", 1);
  write(env_path,
        "# secrets\n"
        "\n"
        "LOOPLIVE_API_TOKENS=first-token-0123456789\n"
        "; another comment\n"
        "  LOOPLIVE_DATABASE_URL = \"host=127.0.0.1 port=5433\"  \n"
        "LOOPLIVE_WEBHOOK_PREVIOUS_SECRET='old secret'\n");
  auto config = load_config(config_path, env_path);
  CHECK(config.api.tokens == std::vector<std::string>{"first-token-0123456789"});
  CHECK(config.database.url == "host=127.0.0.1 port=5433");
  CHECK(config.webhooks.previous_secret == "old secret");
  CHECK(config.webhooks.secret == "from-the-process");  // not in the file: the process's

  // Edited, then loaded again (as SIGHUP does): the new values, and a
  // variable the file sets empty is unset, whatever the process holds.
  write(env_path,
        "LOOPLIVE_API_TOKENS=second-token-0123456789\n"
        "LOOPLIVE_WEBHOOK_SECRET=\n");
  config = load_config(config_path, env_path);
  CHECK(config.api.tokens == std::vector<std::string>{"second-token-0123456789"});
  CHECK(config.database.url != "host=127.0.0.1 port=5433");
  CHECK(config.webhooks.secret == "from-file");

  // Checked like the rest: the token rules, a misspelt name, a line that is
  // not NAME=value, a file that is not there.
  write(env_path, "LOOPLIVE_API_TOKENS=short\n");
  CHECK_THROWS_WITH(load_config(config_path, env_path),
                    config_path +
                        ": LOOPLIVE_API_TOKENS: every token must have at least 16 "
                        "characters");
  write(env_path, "LOOPLIVE_API_TOKENS=third-token-0123456789\nLOOPLIVE_API_TOKEN=x\n");
  CHECK_THROWS_WITH(load_config(config_path, env_path),
                    env_path + ":2: LOOPLIVE_API_TOKEN is not a variable looplive reads");
  write(env_path, "# fine\nexport LOOPLIVE_API_TOKENS=third-token-0123456789\n");
  CHECK_THROWS_WITH(load_config(config_path, env_path),
                    env_path + ":2: 'export LOOPLIVE_API_TOKENS' is not a variable name");
  write(env_path, "LOOPLIVE_API_TOKENS\n");
  CHECK_THROWS_WITH(load_config(config_path, env_path),
                    env_path + ":1: not NAME=value (a line without '=')");
  CHECK_THROWS_WITH(load_config(config_path, env_path + ".gone"),
                    env_path + ".gone: cannot be read");
  // The file the package installs, every line a comment, changes nothing.
  config = load_config(config_path, std::string(LOOPLIVE_SOURCE_DIR) + "/dist/looplive.env");
  CHECK(config.api.tokens == std::vector<std::string>{"configured-token-0123"});
}

TEST_CASE("relative paths are taken from the configuration file's directory", "[app][config]") {
  looplive::test::ScratchDir dir("config");
  std::filesystem::create_directories(dir.path() / "etc");
  looplive::test::write_bytes(dir.path() / "etc/ca.pem", {'x'});
  const std::string yaml =
      "packager: {media_root: ../media}\n"
      "webhooks: {ca_file: ca.pem}\n";
  looplive::test::write_bytes(dir.path() / "etc/looplive.yaml", {yaml.begin(), yaml.end()});
  // Whatever the working directory: the file's own is what counts.
  const auto loaded = load_config((dir.path() / "etc/looplive.yaml").string());
  CHECK(loaded.packager.media_root == (dir.path() / "media").string());
  CHECK(loaded.webhooks.ca_file == (dir.path() / "etc/ca.pem").string());
  // Absolute paths stay; text without a file keeps paths as written.
  const auto absolute = parse_config("packager: {media_root: /srv/media}", "t.yaml", "/etc");
  CHECK(absolute.packager.media_root == "/srv/media");
  CHECK(parse_config("packager: {media_root: m}", "t.yaml").packager.media_root == "m");
}

TEST_CASE("the ladder's default mode is read as off, auto or compatible", "[app][config]") {
  const auto compatible = parse_config("", "t.yaml").ladder.by_default;
  CHECK(compatible.enabled);
  CHECK(compatible.compatible_only);
  CHECK_FALSE(parse_config("ladder: {default: 'off'}", "t.yaml").ladder.by_default.enabled);
  const auto every = parse_config("ladder: {default: auto}", "t.yaml").ladder.by_default;
  CHECK(every.enabled);
  CHECK_FALSE(every.compatible_only);
  CHECK(error_of("ladder: {default: sometimes}") ==
        "test.yaml: ladder.default: must be off, auto or compatible");
}
