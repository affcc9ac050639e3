#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "looplive/core/config_section.hpp"

namespace looplive::control_api {

// The api:, webhooks: and retention: sections of the configuration file.
struct ApiConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 8081;
  // Bearer tokens the backend authenticates with; LOOPLIVE_API_TOKENS
  // (comma-separated) replaces the list when set.
  std::vector<std::string> tokens;
  // Tokens that may only read: GET (and HEAD) of /v1/ and /metrics. For the
  // preview page (GET /watch/{id}) and dashboards, which must not end or
  // delete a stream or see a key; a write with one is 403.
  std::vector<std::string> read_tokens;
  // The addresses publishers and players are told to use.
  std::string public_rtmp_url = "rtmp://localhost:1935/live";
  std::string public_playback_url = "http://localhost:8080";
  // Peers that may call the key-validation hook without a token (nginx-rtmp cannot send one).
  std::vector<std::string> hook_allowed_addresses{"127.0.0.1"};
  bool metrics_require_auth = false;
  // Product tags a stream may take per second, sustained; a burst may reach
  // twice as many. Beyond that, POST .../tags answers 429.
  uint32_t tags_per_second = 100;
  // The player the preview page (GET /watch/{id}) loads, and the Subresource
  // Integrity digest of that exact file: the browser refuses any other bytes,
  // so a compromised CDN cannot run code beside an API token. The default
  // digest belongs to the default URL only; another URL has none unless
  // preview_hls_js_integrity gives its own.
  std::string preview_hls_js_url = "https://cdn.jsdelivr.net/npm/hls.js@1.7.4/dist/hls.min.js";
  std::string preview_hls_js_integrity =
      "sha384-p9vgU/7IYJWd3I4STrtqxqR/2cAQlhIX7D/HrTnIMEjjcUox165b7se7sxmm3zDg";

  bool operator==(const ApiConfig&) const = default;
};

struct WebhookConfig {
  std::vector<std::string> urls;  // http:// or https://
  // PEM certificates to trust for https receivers instead of the system's
  // store (a private CA, say). Certificates and names are always verified.
  std::string ca_file;
  // HMAC-SHA256 key; LOOPLIVE_WEBHOOK_SECRET replaces it when set.
  std::string secret;
  // While receivers move to a new secret: deliveries are also signed with
  // this one (each signature header then lists both).
  std::string previous_secret;
  std::chrono::milliseconds connect_timeout{2'000};
  std::chrono::milliseconds timeout{5'000};  // for the whole request and response
  // Retry n waits initial_backoff * 2^(n-1), capped at max_backoff.
  std::chrono::milliseconds initial_backoff{1'000};
  std::chrono::milliseconds max_backoff{600'000};
  uint32_t max_attempts = 16;
  // Also send tag.aired as each product tag reaches the origin.
  bool tag_aired = false;

  bool operator==(const WebhookConfig&) const = default;
};

// How long PostgreSQL keeps what no longer changes; zero keeps it forever.
struct RetentionConfig {
  // Delivered and abandoned webhook deliveries (the delivery log).
  std::chrono::seconds webhooks{30 * 86'400};
  // Ended streams, with their recordings, as DELETE /v1/streams/{id} removes them.
  std::chrono::seconds ended_streams{0};
  std::chrono::milliseconds check_interval{3'600'000};  // how often both are pruned

  bool operator==(const RetentionConfig&) const = default;
};

void read_config(core::ConfigSection section, ApiConfig& config);
void read_config(core::ConfigSection section, WebhookConfig& config);
void read_config(core::ConfigSection section, RetentionConfig& config);

}  // namespace looplive::control_api
