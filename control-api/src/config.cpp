#include "looplive/control_api/config.hpp"

#include <boost/asio/ip/address.hpp>

#include <filesystem>

#include <initializer_list>
#include <string_view>

#include "preview_page.hpp"
#include "webhook_client.hpp"

namespace looplive::control_api {

namespace {

bool has_scheme(const std::string& url, std::initializer_list<std::string_view> schemes) {
  for (auto scheme : schemes)
    if (url.starts_with(scheme) && url.size() > scheme.size()) return true;
  return false;
}

// Base URLs are joined with "/path", so a trailing slash would double up.
void read_base_url(core::ConfigSection& s, const std::string& key, std::string& out,
                   std::initializer_list<std::string_view> schemes, const std::string& expected) {
  s.read(key, out);
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  if (!has_scheme(out, schemes)) s.fail(s.key_path(key), "must start with " + expected);
}

// "a, b,,c" -> {"a", "b", "c"}.
std::vector<std::string> comma_list(std::string_view rest) {
  std::vector<std::string> items;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return items;
}

}  // namespace

void read_config(core::ConfigSection s, ApiConfig& c) {
  s.read("host", c.host);
  if (c.host.empty()) s.fail(s.key_path("host"), "must not be empty");
  s.read_int("port", c.port, 1, 65535);
  s.read_list("tokens", c.tokens);
  std::string tokens_from = s.key_path("tokens");
  if (auto listed = s.environment("LOOPLIVE_API_TOKENS")) {
    c.tokens = comma_list(*listed);
    tokens_from = "LOOPLIVE_API_TOKENS";
  }
  s.read_list("read_tokens", c.read_tokens);
  const auto check_tokens = [&s](const std::vector<std::string>& tokens, const std::string& from) {
    for (const auto& token : tokens) {
      // Short tokens can be guessed; separators would not survive LOOPLIVE_API_TOKENS.
      if (token.size() < 16) s.fail(from, "every token must have at least 16 characters");
      if (token.find_first_of(", \t\r\n") != std::string::npos)
        s.fail(from, "tokens must not contain spaces or commas");
    }
  };
  check_tokens(c.tokens, tokens_from);
  check_tokens(c.read_tokens, s.key_path("read_tokens"));
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
  s.read_int("tags_per_second", c.tags_per_second, 1, 10'000);
  s.read("preview_hls_js_url", c.preview_hls_js_url);
  if (!is_script_url(c.preview_hls_js_url))
    s.fail(s.key_path("preview_hls_js_url"),
           "must be an http:// or https:// URL without spaces, quotes or angle brackets");
  // The default digest is that of the default file; any other URL names other bytes.
  if (c.preview_hls_js_url != ApiConfig{}.preview_hls_js_url) c.preview_hls_js_integrity.clear();
  s.read("preview_hls_js_integrity", c.preview_hls_js_integrity);
  if (!is_integrity(c.preview_hls_js_integrity))
    s.fail(s.key_path("preview_hls_js_integrity"),
           "must be empty or Subresource Integrity digests such as sha384-<base64>");
  s.finish();
}

void read_config(core::ConfigSection s, WebhookConfig& c) {
  s.read_list("urls", c.urls);
  for (const auto& url : c.urls) {
    if (!is_webhook_url(url))
      s.fail(s.key_path("urls"), "'" + url + "' must be an http:// or https:// URL with a host");
  }
  s.read_path("ca_file", c.ca_file);
  if (!c.ca_file.empty() && !std::filesystem::is_regular_file(c.ca_file))
    s.fail(s.key_path("ca_file"), "'" + c.ca_file + "' is not a readable file");
  s.read("secret", c.secret);
  if (auto secret = s.environment("LOOPLIVE_WEBHOOK_SECRET")) c.secret = *secret;
  s.read("previous_secret", c.previous_secret);
  if (auto previous = s.environment("LOOPLIVE_WEBHOOK_PREVIOUS_SECRET"))
    c.previous_secret = *previous;
  if (!c.previous_secret.empty() && c.secret.empty())
    s.fail(s.key_path("previous_secret"), "is set without a secret to rotate to");
  s.read_ms("connect_timeout_ms", c.connect_timeout, 100, 60'000);
  s.read_ms("timeout_ms", c.timeout, 100, 120'000);
  s.read_ms("initial_backoff_ms", c.initial_backoff, 10, 3'600'000);
  s.read_ms("max_backoff_ms", c.max_backoff, 10, 86'400'000);
  if (c.max_backoff < c.initial_backoff)
    s.fail(s.key_path("max_backoff_ms"), "must not be less than initial_backoff_ms");
  s.read_int("max_attempts", c.max_attempts, 1, 100);
  s.read_bool("tag_aired", c.tag_aired);
  s.finish();
}

void read_config(core::ConfigSection s, RetentionConfig& c) {
  auto webhooks_days = static_cast<uint32_t>(c.webhooks.count() / 86'400);
  auto streams_days = static_cast<uint32_t>(c.ended_streams.count() / 86'400);
  s.read_int("webhooks_days", webhooks_days, 0, 36'500);
  s.read_int("ended_streams_days", streams_days, 0, 36'500);
  c.webhooks = std::chrono::seconds(int64_t{webhooks_days} * 86'400);
  c.ended_streams = std::chrono::seconds(int64_t{streams_days} * 86'400);
  s.finish();
}

}  // namespace looplive::control_api
