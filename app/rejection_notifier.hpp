#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "looplive/control_api/events.hpp"
#include "looplive/control_api/webhooks.hpp"
#include "looplive/core/admission.hpp"
#include "looplive/db/stream_repository.hpp"
#include "looplive/db/webhook_queue.hpp"

namespace looplive::app {

// Announces publish.rejected for keys of revoked or ended streams, at most
// once a minute per stream: an encoder retrying every few seconds must not
// flood the receivers. Runs on the blocking pool (it writes the outbox).
class RejectionNotifier {
 public:
  RejectionNotifier(db::WebhookQueue& queue, control_api::WebhookDispatcher& webhooks)
      : queue_(queue), webhooks_(webhooks), state_(std::make_shared<State>()) {}

  void operator()(const db::KeyMatch& match, const core::PublishRequest& request) {
    const auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(state_->mutex);
      auto [last, fresh] = state_->last.try_emplace(match.stream_id, now);
      if (!fresh && now - last->second < kQuietPeriod) return;
      last->second = now;
    }
    // Ending a stream also revokes its key: the end is what the seller needs to hear of.
    const std::string reason =
        match.status == db::StreamStatus::ended ? "stream ended" : "key revoked";
    queue_.enqueue(webhooks_.deliveries(
        control_api::events::kPublishRejected,
        control_api::events::publish_rejected(match.stream_id, db::status_name(match.status),
                                              reason, request.remote_address),
        match.stream_id));
    webhooks_.wake();
  }

 private:
  static constexpr auto kQuietPeriod = std::chrono::minutes(1);
  struct State {
    std::mutex mutex;
    std::unordered_map<std::string, std::chrono::steady_clock::time_point> last;
  };
  db::WebhookQueue& queue_;
  control_api::WebhookDispatcher& webhooks_;
  std::shared_ptr<State> state_;  // shared: the notifier is copied into a std::function
};

}  // namespace looplive::app
