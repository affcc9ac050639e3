#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace looplive::core {

// Plain aggregates: the default member initializers are the single source of
// defaults, and conf/looplive.yaml documents each key.
struct ServerConfig {
  unsigned io_threads = 0;        // 0: one per core
  unsigned blocking_threads = 2;  // database queries, file writes, webhooks
};

struct LogConfig {
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
  std::string pattern = "%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v";
  std::map<std::string, std::string> loggers;  // per logger name: level
};

struct RtmpConfig {
  std::string host = "0.0.0.0";
  uint16_t port = 1935;
  std::string app = "live";
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds idle_timeout{
      30'000};  // a publisher that sends nothing this long is dropped
  std::chrono::milliseconds stats_interval{
      5'000};  // how often ingest figures are logged per publisher
  // A publisher's socket wakes the server once per this much of its media, not per TCP
  // segment (fewer wake-ups, at most this much added latency); 0 wakes on every segment.
  std::chrono::milliseconds receive_batch{40};
  uint32_t max_connections = 10'000;
  // From one address: a studio runs a few encoders behind one NAT; a flood
  // from one address must not take every slot (and database lookup) from the rest.
  uint32_t max_connections_per_address = 32;
  uint32_t max_message_size = 8 * 1024 * 1024;  // bytes; one video frame must fit
  uint32_t out_chunk_size = 4096;               // our Set Chunk Size towards the client
  uint32_t window_ack_size = 2'500'000;
};

struct DatabaseConfig {
  // libpq connection string; the environment variable LOOPLIVE_DATABASE_URL overrides it.
  std::string url = "host=127.0.0.1 port=5432 dbname=looplive user=postgres";
  std::chrono::milliseconds connect_timeout{2'000};
};

struct PackagerConfig {
  std::string media_root = "var/media";               // live/{id}/... and vods/{id}... below it
  std::chrono::milliseconds segment_duration{2'000};  // target; cuts happen on keyframes
  // CMAF chunk (moof + mdat) inside a segment, listed as an LL-HLS part.
  std::chrono::milliseconds part_duration{333};
  uint32_t live_window = 6;  // segments listed in a live playlist
  // Also keep the live window on disk: segments, playlists, MPD, thumbnail. Recorded
  // streams always write their segments and recording index; the origin serves the
  // live window from memory either way.
  bool write_live_to_disk = false;
  bool thumbnails = false;  // a JPEG of each segment's first keyframe as live/{id}/thumbnail.jpg
};

// The HTTP origin players and CDNs pull HLS and DASH from.
struct OriginConfig {
  std::string host = "0.0.0.0";
  uint16_t port = 8080;
  // "*" answers any Origin with "*"; otherwise an Origin on the list is echoed back.
  std::vector<std::string> cors_allowed_origins{"*"};
  // Peers whose X-Forwarded-For is believed (CDN edges): addresses or CIDR blocks.
  std::vector<std::string> trusted_proxies;
  std::string session_param = "session";  // query parameter players add to name a viewer session
  uint32_t max_connections = 20'000;
  uint32_t max_connections_per_ip = 1'000;      // CDN edges and large NATs open many
  uint32_t max_connections_per_proxy = 10'000;  // for each of the trusted proxies
  std::chrono::milliseconds header_timeout{5'000};
  std::chrono::milliseconds idle_timeout{30'000};
  uint32_t vod_max_age_s = 86'400;
};

struct ApiConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 8081;
  // Bearer tokens the backend authenticates with; LOOPLIVE_API_TOKENS
  // (comma-separated) replaces the list when set.
  std::vector<std::string> tokens;
  // The addresses publishers and players are told to use.
  std::string public_rtmp_url = "rtmp://localhost:1935/live";
  std::string public_playback_url = "http://localhost:8080";
  // Peers that may call the key-validation hook without a token (nginx-rtmp cannot send one).
  std::vector<std::string> hook_allowed_addresses{"127.0.0.1"};
  bool metrics_require_auth = false;
};

struct LifecycleConfig {
  // How long a dropped publisher may take to come back to the same stream.
  std::chrono::milliseconds reconnect_window{10'000};
  // How long a server's hold on its live streams lasts unless renewed (every
  // third of it): what another server sharing the database waits, after this
  // one vanished, before it adopts them.
  std::chrono::milliseconds owner_lease{15'000};
};

// How long PostgreSQL keeps what no longer changes; zero keeps it forever.
struct RetentionConfig {
  // Delivered and abandoned webhook deliveries (the delivery log).
  std::chrono::seconds webhooks{30 * 86'400};
  // Ended streams, with their recordings, as DELETE /v1/streams/{id} removes them.
  std::chrono::seconds ended_streams{0};
  std::chrono::milliseconds check_interval{3'600'000};  // how often both are pruned
};

struct WebhookConfig {
  std::vector<std::string> urls;  // http:// only
  // HMAC-SHA256 key; LOOPLIVE_WEBHOOK_SECRET replaces it when set.
  std::string secret;
  std::chrono::milliseconds connect_timeout{2'000};
  std::chrono::milliseconds timeout{5'000};  // for the whole request and response
  // Retry n waits initial_backoff * 2^(n-1), capped at max_backoff.
  std::chrono::milliseconds initial_backoff{1'000};
  std::chrono::milliseconds max_backoff{600'000};
  uint32_t max_attempts = 16;
};

struct Config {
  ServerConfig server;
  LogConfig log;
  RtmpConfig rtmp;
  DatabaseConfig database;
  PackagerConfig packager;
  OriginConfig origin;
  ApiConfig api;
  LifecycleConfig lifecycle;
  WebhookConfig webhooks;
  RetentionConfig retention;
};

// Thrown at start-up only; the message reads "FILE: KEY: REASON".
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

Config load_config(const std::string& path);
Config parse_config(const std::string& yaml_text, const std::string& source_name);

}  // namespace looplive::core
