#include "looplive/core/config.hpp"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include <spdlog/common.h>
#include <boost/asio/ip/address.hpp>

namespace looplive::core {

namespace {

// Reads one YAML mapping; every key must be read exactly once by name, and
// any key left over is reported as unknown.
class Section {
 public:
  Section(const YAML::Node& node, std::string path, const std::string& source)
      : node_(node), path_(std::move(path)), source_(source) {
    if (node_ && !node_.IsNull() && !node_.IsMap()) fail(path_, "must be a mapping");
  }

  [[noreturn]] void fail(const std::string& key, const std::string& reason) const {
    throw ConfigError(source_ + ": " + key + ": " + reason);
  }

  std::string key_path(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }

  // An undefined node when the key is absent or null (a const lookup never inserts).
  YAML::Node child(const std::string& key) {
    seen_.insert(key);
    if (!node_ || !node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    const YAML::Node& map = node_;
    YAML::Node value = map[key];
    if (!value || value.IsNull()) return YAML::Node(YAML::NodeType::Undefined);
    return value;
  }

  Section section(const std::string& key) { return Section(child(key), key_path(key), source_); }

  void read(const std::string& key, std::string& out) {
    auto value = child(key);
    if (!value) return;
    if (!value.IsScalar()) fail(key_path(key), "must be a string");
    out = value.as<std::string>();
  }

  void read_bool(const std::string& key, bool& out) {
    auto value = child(key);
    if (!value) return;
    if (!value.IsScalar() || !YAML::convert<bool>::decode(value, out))
      fail(key_path(key), "must be true or false");
  }

  template <class Int>
  void read_int(const std::string& key, Int& out, long long min, long long max) {
    auto value = child(key);
    if (!value) return;
    long long parsed = 0;
    if (!value.IsScalar() || !YAML::convert<long long>::decode(value, parsed))
      fail(key_path(key), "must be an integer");
    if (parsed < min || parsed > max)
      fail(key_path(key), "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                              ", got " + std::to_string(parsed));
    out = static_cast<Int>(parsed);
  }

  void read_ms(const std::string& key, std::chrono::milliseconds& out, long long min_ms,
               long long max_ms) {
    long long ms = out.count();
    read_int(key, ms, min_ms, max_ms);
    out = std::chrono::milliseconds(ms);
  }

  // A sequence of strings; a single string is not taken for a list of one.
  void read_list(const std::string& key, std::vector<std::string>& out) {
    auto value = child(key);
    if (!value) return;
    if (!value.IsSequence()) fail(key_path(key), "must be a list of strings");
    std::vector<std::string> items;
    for (const auto& item : value) {
      if (!item.IsScalar()) fail(key_path(key), "must be a list of strings");
      items.push_back(item.as<std::string>());
    }
    out = std::move(items);
  }

  void read_level(const std::string& key, std::string& out) {
    read(key, out);
    check_level(key_path(key), out);
  }

  void check_level(const std::string& key, const std::string& level) const {
    static const std::set<std::string> kLevels{"trace", "debug",    "info", "warn",
                                               "error", "critical", "off"};
    if (!kLevels.contains(level)) fail(key, "unknown log level '" + level + "'");
  }

  // Call after reading every known key.
  void finish() const {
    if (!node_ || node_.IsNull()) return;
    for (const auto& entry : node_) {
      auto key = entry.first.as<std::string>();
      if (!seen_.contains(key)) fail(key_path(key), "unknown key");
    }
  }

  const YAML::Node& node() const { return node_; }

 private:
  YAML::Node node_;
  std::string path_;
  const std::string& source_;
  std::set<std::string> seen_;
};

void read_server(Section s, ServerConfig& c) {
  s.read_int("io_threads", c.io_threads, 0, 64);
  s.read_int("blocking_threads", c.blocking_threads, 1, 64);
  s.finish();
}

void read_log(Section s, LogConfig& c) {
  s.read_level("level", c.level);
  s.read("pattern", c.pattern);
  Section loggers = s.section("loggers");
  if (loggers.node() && loggers.node().IsMap()) {
    for (const auto& entry : loggers.node()) {
      auto name = entry.first.as<std::string>();
      if (!entry.second.IsScalar()) loggers.fail(loggers.key_path(name), "must be a log level");
      auto level = entry.second.as<std::string>();
      loggers.check_level(loggers.key_path(name), level);
      c.loggers[name] = level;
    }
  }
  s.finish();
}

void read_rtmp(Section s, RtmpConfig& c) {
  s.read("host", c.host);
  s.read_int("port", c.port, 1, 65535);
  s.read("app", c.app);
  if (c.app.empty() || c.app.find('/') != std::string::npos)
    s.fail(s.key_path("app"), "must be a non-empty name without '/'");
  s.read_ms("handshake_timeout_ms", c.handshake_timeout, 100, 600'000);
  s.read_ms("idle_timeout_ms", c.idle_timeout, 1'000, 3'600'000);
  s.read_ms("stats_interval_ms", c.stats_interval, 500, 3'600'000);
  s.read_ms("receive_batch_ms", c.receive_batch, 0, 200);
  s.read_int("max_connections", c.max_connections, 1, 1'000'000);
  s.read_int("max_connections_per_address", c.max_connections_per_address, 1, 1'000'000);
  s.read_int("max_message_size", c.max_message_size, 64 * 1024, 64 * 1024 * 1024);
  s.read_int("out_chunk_size", c.out_chunk_size, 128, 65536);
  s.read_int("window_ack_size", c.window_ack_size, 4096, std::numeric_limits<int32_t>::max());
  s.finish();
}

void read_database(Section s, DatabaseConfig& c) {
  s.read("url", c.url);
  s.read_ms("connect_timeout_ms", c.connect_timeout, 100, 60'000);
  s.finish();
}

void read_packager(Section s, PackagerConfig& c) {
  s.read("media_root", c.media_root);
  if (c.media_root.empty()) s.fail(s.key_path("media_root"), "must not be empty");
  s.read_ms("segment_duration_ms", c.segment_duration, 1'000, 10'000);
  // Its name before chunks became LL-HLS parts, still read so older configurations start.
  s.read_ms("fragment_duration_ms", c.part_duration, 100, 10'000);
  s.read_ms("part_duration_ms", c.part_duration, 100, 10'000);
  if (c.part_duration > c.segment_duration)
    s.fail(s.key_path("part_duration_ms"), "must not exceed segment_duration_ms");
  s.read_int("live_window", c.live_window, 3, 100);
  bool write = c.write_live_to_disk;
  s.read_bool("write_live_to_disk", write);
  c.write_live_to_disk = write;
  s.read_bool("thumbnails", c.thumbnails);
  s.finish();
}

bool has_scheme(const std::string& url, std::initializer_list<std::string_view> schemes) {
  for (auto scheme : schemes)
    if (url.starts_with(scheme) && url.size() > scheme.size()) return true;
  return false;
}

// Base URLs are joined with "/path", so a trailing slash would double up.
void read_base_url(Section& s, const std::string& key, std::string& out,
                   std::initializer_list<std::string_view> schemes, const std::string& expected) {
  s.read(key, out);
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  if (!has_scheme(out, schemes)) s.fail(s.key_path(key), "must start with " + expected);
}

void read_origin(Section s, OriginConfig& c) {
  s.read("host", c.host);
  s.read_int("port", c.port, 0, 65535);
  s.read_list("cors_allowed_origins", c.cors_allowed_origins);
  s.read_list("trusted_proxies", c.trusted_proxies);
  s.read("session_param", c.session_param);
  if (c.session_param.empty()) s.fail(s.key_path("session_param"), "must not be empty");
  s.read_int("max_connections", c.max_connections, 1, 1'000'000);
  s.read_int("max_connections_per_ip", c.max_connections_per_ip, 1, 1'000'000);
  s.read_int("max_connections_per_proxy", c.max_connections_per_proxy, 1, 1'000'000);
  s.read_ms("header_timeout_ms", c.header_timeout, 100, 600'000);
  s.read_ms("idle_timeout_ms", c.idle_timeout, 1'000, 3'600'000);
  s.read_int("vod_max_age_s", c.vod_max_age_s, 0, 31'536'000);
  s.finish();
}

void read_api(Section s, ApiConfig& c) {
  s.read("host", c.host);
  if (c.host.empty()) s.fail(s.key_path("host"), "must not be empty");
  s.read_int("port", c.port, 1, 65535);
  s.read_list("tokens", c.tokens);
  for (const auto& token : c.tokens) {
    // Short tokens can be guessed; separators would not survive LOOPLIVE_API_TOKENS.
    if (token.size() < 16)
      s.fail(s.key_path("tokens"), "every token must have at least 16 characters");
    if (token.find_first_of(", \t\r\n") != std::string::npos)
      s.fail(s.key_path("tokens"), "tokens must not contain spaces or commas");
  }
  read_base_url(s, "public_rtmp_url", c.public_rtmp_url, {"rtmp://", "rtmps://"},
                "rtmp:// or rtmps://");
  read_base_url(s, "public_playback_url", c.public_playback_url, {"http://", "https://"},
                "http:// or https://");
  s.read_list("hook_allowed_addresses", c.hook_allowed_addresses);
  for (const auto& address : c.hook_allowed_addresses) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(address, ec);
    if (ec) s.fail(s.key_path("hook_allowed_addresses"), "'" + address + "' is not an IP address");
  }
  s.read_bool("metrics_require_auth", c.metrics_require_auth);
  s.finish();
}

void read_lifecycle(Section s, LifecycleConfig& c) {
  s.read_ms("reconnect_window_ms", c.reconnect_window, 0, 3'600'000);
  s.read_ms("owner_lease_ms", c.owner_lease, 1'000, 600'000);
  s.finish();
}

void read_retention(Section s, RetentionConfig& c) {
  uint32_t webhooks_days = static_cast<uint32_t>(c.webhooks.count() / 86'400);
  uint32_t streams_days = static_cast<uint32_t>(c.ended_streams.count() / 86'400);
  s.read_int("webhooks_days", webhooks_days, 0, 36'500);
  s.read_int("ended_streams_days", streams_days, 0, 36'500);
  c.webhooks = std::chrono::seconds(int64_t{webhooks_days} * 86'400);
  c.ended_streams = std::chrono::seconds(int64_t{streams_days} * 86'400);
  s.finish();
}

void read_webhooks(Section s, WebhookConfig& c) {
  s.read_list("urls", c.urls);
  for (const auto& url : c.urls) {
    if (url.starts_with("https://"))
      s.fail(s.key_path("urls"),
             "'" + url + "': https is not supported, use http:// (a local TLS proxy can forward)");
    if (!has_scheme(url, {"http://"}))
      s.fail(s.key_path("urls"), "'" + url + "' must start with http://");
  }
  s.read("secret", c.secret);
  s.read_ms("connect_timeout_ms", c.connect_timeout, 100, 60'000);
  s.read_ms("timeout_ms", c.timeout, 100, 120'000);
  s.read_ms("initial_backoff_ms", c.initial_backoff, 10, 3'600'000);
  s.read_ms("max_backoff_ms", c.max_backoff, 10, 86'400'000);
  if (c.max_backoff < c.initial_backoff)
    s.fail(s.key_path("max_backoff_ms"), "must not be less than initial_backoff_ms");
  s.read_int("max_attempts", c.max_attempts, 1, 100);
  s.finish();
}

}  // namespace

Config parse_config(const std::string& yaml_text, const std::string& source_name) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(source_name + ": " + e.what());
  }
  Config config;
  try {
    Section top(root, "", source_name);
    read_server(top.section("server"), config.server);
    read_log(top.section("log"), config.log);
    read_rtmp(top.section("rtmp"), config.rtmp);
    read_database(top.section("database"), config.database);
    read_packager(top.section("packager"), config.packager);
    read_origin(top.section("origin"), config.origin);
    read_api(top.section("api"), config.api);
    read_lifecycle(top.section("lifecycle"), config.lifecycle);
    read_webhooks(top.section("webhooks"), config.webhooks);
    read_retention(top.section("retention"), config.retention);
    top.finish();
  } catch (const YAML::Exception& e) {
    throw ConfigError(source_name + ": " + e.what());
  }
  return config;
}

Config load_config(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw ConfigError(path + ": cannot be read");
  std::stringstream text;
  text << file.rdbuf();
  return parse_config(text.str(), path);
}

}  // namespace looplive::core
