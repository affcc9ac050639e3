#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "looplive/control_api/config.hpp"
#include "looplive/db/webhook_queue.hpp"

namespace looplive::control_api {

// "sha256=" and the hex HMAC-SHA256 of "<timestamp>.<body>" under `secret`:
// the X-Looplive-Signature header.
std::string webhook_signature(std::string_view secret, std::string_view timestamp,
                              std::string_view body);
// The webhook-signature header of Standard Webhooks (standardwebhooks.com):
// "v1," and the base64 HMAC-SHA256 of "<id>.<timestamp>.<body>" keyed by the
// secret as those libraries read one: the base64 after an optional "whsec_".
// Empty when the secret is not base64 (only X-Looplive-Signature then).
std::string standard_webhook_signature(std::string_view secret, std::string_view id,
                                       std::string_view timestamp, std::string_view body);
// The delay before retry `attempts` (1 after the first failure):
// initial_backoff * 2^(attempts-1), capped at max_backoff.
std::chrono::milliseconds webhook_backoff(const control_api::WebhookConfig& config, int attempts);

struct WebhookCounts {
  uint64_t delivered = 0;
  uint64_t failed_attempts = 0;  // attempts that will be retried
  uint64_t abandoned = 0;        // deliveries given up after max_attempts
};

// Sends queued webhooks from one thread of its own, one delivery at a time,
// so a slow or dead receiver delays other webhooks only, never ingest or the
// API. Events are stored first (in the transaction of the change they
// announce), then wake() asks for prompt delivery; deliveries left over by a
// previous run are sent when it starts. Delivery is at least once: receivers
// deduplicate by the event id. Processes sharing a database claim each
// delivery before sending it, so they never send the same one side by side.
class WebhookDispatcher {
 public:
  // Throws std::invalid_argument when URLs are configured without a secret.
  WebhookDispatcher(db::WebhookQueue& queue, const control_api::WebhookConfig& config);
  ~WebhookDispatcher();
  WebhookDispatcher(const WebhookDispatcher&) = delete;
  WebhookDispatcher& operator=(const WebhookDispatcher&) = delete;

  // One row per configured URL for an event {id, type, createdAt, data}; none
  // when no URL is configured. Store them, then call wake().
  std::vector<db::NewDelivery> deliveries(std::string_view type, const nlohmann::json& data,
                                          const std::optional<std::string>& stream_id) const;
  // Whether events of this type go out now: some URL is configured, and
  // for tag.aired, webhooks.tag_aired is on.
  bool sends(std::string_view type) const;
  // Does nothing when no URL is configured: deliveries queued by an earlier
  // configuration then wait until one is.
  void start();
  void wake();
  // Interrupts a delivery in flight within a fraction of a second; idempotent.
  void stop();
  // New URLs, secret, timeouts and retry policy for the events and attempts
  // that follow (a configuration reload); deliveries already queued keep
  // their URL. Throws std::invalid_argument as the constructor does.
  void reconfigure(const control_api::WebhookConfig& config);
  WebhookCounts counts() const;

 private:
  using Settings = std::shared_ptr<const control_api::WebhookConfig>;
  static Settings checked(const control_api::WebhookConfig& config);
  Settings settings() const;
  void run();
  void attempt(const db::Delivery& delivery);
  void idle(std::chrono::milliseconds longest);

  db::WebhookQueue& queue_;
  mutable std::mutex settings_mutex_;
  Settings settings_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool woken_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> delivered_{0};
  std::atomic<uint64_t> failed_attempts_{0};
  std::atomic<uint64_t> abandoned_{0};
};

}  // namespace looplive::control_api
