#include <openssl/rand.h>

#include <array>

#include <stdexcept>

#include <spdlog/fmt/fmt.h>

#include "looplive/control_api/events.hpp"
#include "looplive/control_api/stream_json.hpp"
#include "looplive/control_api/webhooks.hpp"
#include "looplive/core/log.hpp"
#include "webhook_client.hpp"

namespace looplive::control_api {

namespace {

constexpr size_t kBatch = 16;
// With nothing pending, the queue is still looked at this often, in case
// another process sharing the database queued something.
constexpr auto kIdleCheck = std::chrono::seconds(30);
constexpr auto kDatabaseRetry = std::chrono::seconds(1);

std::string uuid_v4() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw std::runtime_error("no random bytes for an event id");
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += fmt::format("{:02x}", bytes[i]);
  }
  return out;
}

const std::shared_ptr<spdlog::logger>& log() {
  static const auto logger = core::logger("webhooks");
  return logger;
}

}  // namespace

WebhookDispatcher::WebhookDispatcher(db::WebhookQueue& queue,
                                     const control_api::WebhookConfig& config)
    : queue_(queue), settings_(checked(config)) {}

WebhookDispatcher::Settings WebhookDispatcher::checked(const control_api::WebhookConfig& config) {
  if (!config.urls.empty() && config.secret.empty())
    throw std::invalid_argument(
        "webhooks.urls is set but there is no secret to sign with: set webhooks.secret or "
        "LOOPLIVE_WEBHOOK_SECRET");
  return std::make_shared<const control_api::WebhookConfig>(config);
}

WebhookDispatcher::Settings WebhookDispatcher::settings() const {
  std::lock_guard lock(settings_mutex_);
  return settings_;
}

void WebhookDispatcher::reconfigure(const control_api::WebhookConfig& config) {
  Settings next = checked(config);
  {
    std::lock_guard lock(settings_mutex_);
    settings_ = std::move(next);
  }
  start();  // the first receiver may have just been configured
  wake();
}

WebhookDispatcher::~WebhookDispatcher() {
  stop();
}

bool WebhookDispatcher::sends(std::string_view type) const {
  const Settings config = settings();
  return !config->urls.empty() && (type != events::kTagAired || config->tag_aired);
}

std::vector<db::NewDelivery> WebhookDispatcher::deliveries(
    std::string_view type, const nlohmann::json& data,
    const std::optional<std::string>& stream_id) const {
  std::vector<db::NewDelivery> out;
  const Settings config = settings();
  if (config->urls.empty()) return out;
  const std::string id = uuid_v4();
  const std::string body =
      nlohmann::json{{"id", id}, {"type", type}, {"createdAt", iso_now()}, {"data", data}}.dump(
          -1, ' ', false, nlohmann::json::error_handler_t::replace);
  for (const auto& url : config->urls)
    out.push_back(db::NewDelivery{id, std::string(type), stream_id, url, body});
  return out;
}

void WebhookDispatcher::start() {
  // With no receiver configured there is nothing to send, and no reason to poll the database.
  std::lock_guard lock(mutex_);
  if (thread_.joinable() || stopping_ || settings()->urls.empty()) return;
  thread_ = std::thread([this] { run(); });
}

void WebhookDispatcher::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  cv_.notify_all();
}

void WebhookDispatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  // start() checks stopping_ under the mutex: no thread starts after this point.
  if (thread_.joinable()) thread_.join();
}

WebhookCounts WebhookDispatcher::counts() const {
  return WebhookCounts{delivered_.load(), failed_attempts_.load(), abandoned_.load()};
}

void WebhookDispatcher::idle(std::chrono::milliseconds longest) {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, longest, [this] { return woken_ || stopping_.load(); });
}

void WebhookDispatcher::run() {
  while (!stopping_) {
    {
      std::lock_guard lock(mutex_);
      woken_ = false;  // whatever woke us is in the database by now
    }
    try {
      const auto due = queue_.due(kBatch);
      for (const auto& delivery : due) {
        if (stopping_) return;
        attempt(delivery);
      }
      if (due.size() == kBatch) continue;
      const auto next = queue_.next_due();
      const auto wait = std::min<std::chrono::milliseconds>(next.value_or(kIdleCheck), kIdleCheck);
      if (wait.count() > 0) idle(wait);
    } catch (const std::exception& error) {
      log()->warn("webhook queue unavailable: {}", error.what());
      idle(kDatabaseRetry);
    }
  }
}

void WebhookDispatcher::attempt(const db::Delivery& delivery) {
  // Another looplive on the same database (a deploy overlap, a second node)
  // may have read the same row: only the one that claims it sends it.
  const Settings config = settings();
  const auto lease = 2 * (config->connect_timeout + config->timeout) + std::chrono::seconds(10);
  if (!queue_.claim(delivery.id, lease)) return;
  const bool sendable = is_webhook_url(delivery.url);
  const std::string timestamp =
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count());
  PostResult result;
  if (!sendable) {
    result.error = "not an http:// or https:// URL";
  } else {
    // Signed with each active secret: a receiver checks any signature listed.
    std::string looplive_signatures;
    std::string standard_signatures;
    for (const std::string* secret : {&config->secret, &config->previous_secret}) {
      if (secret->empty()) continue;
      const auto add = [](std::string& list, const std::string& signature) {
        if (!signature.empty()) list += (list.empty() ? "" : " ") + signature;
      };
      add(looplive_signatures, webhook_signature(*secret, timestamp, delivery.body));
      add(standard_signatures,
          standard_webhook_signature(*secret, delivery.event_id, timestamp, delivery.body));
    }
    std::vector<std::pair<std::string, std::string>> headers{
        {"Content-Type", "application/json"},
        {"User-Agent", "looplive-webhooks"},
        {"X-Looplive-Event", delivery.event_type},
        {"X-Looplive-Event-Id", delivery.event_id},
        {"X-Looplive-Timestamp", timestamp},
        {"X-Looplive-Signature", looplive_signatures},
        // Standard Webhooks, so its libraries verify deliveries as they are.
        {"webhook-id", delivery.event_id},
        {"webhook-timestamp", timestamp}};
    if (!standard_signatures.empty())
      headers.emplace_back("webhook-signature", standard_signatures);
    result = http_post(delivery.url, delivery.body, headers,
                       {config->connect_timeout, config->timeout, config->ca_file}, stopping_);
  }
  if (stopping_ && result.error == "stopped") {
    queue_.release(delivery.id);  // not an attempt; the next run makes it at once
    return;
  }
  const int attempts = delivery.attempts + 1;
  if (result.error.empty()) {
    queue_.delivered(delivery.id, result.status);
    ++delivered_;
    log()->info("{} {} delivered to {} (attempt {})", delivery.event_type, delivery.event_id,
                delivery.url, attempts);
  } else if (attempts >= static_cast<int>(config->max_attempts)) {
    queue_.give_up(delivery.id, result.status, result.error);
    ++abandoned_;
    log()->error("{} {} to {}: {}; gave up after {} attempts", delivery.event_type,
                 delivery.event_id, delivery.url, result.error, attempts);
  } else {
    const auto delay = webhook_backoff(*config, attempts);
    queue_.retry_later(delivery.id, result.status, result.error, delay);
    ++failed_attempts_;
    log()->warn("{} {} to {}: {}; attempt {} of {}, next in {} ms", delivery.event_type,
                delivery.event_id, delivery.url, result.error, attempts, config->max_attempts,
                delay.count());
  }
}

}  // namespace looplive::control_api
