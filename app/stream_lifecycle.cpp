#include "stream_lifecycle.hpp"

#include <boost/asio/post.hpp>

#include "looplive/control_api/events.hpp"
#include "looplive/core/error.hpp"
#include "looplive/core/log.hpp"

namespace looplive::app {

namespace net = boost::asio;
namespace events = control_api::events;

namespace {
constexpr auto kAskedPoll = std::chrono::seconds(1);
}  // namespace

// Passes media through; tells the lifecycle when its publish finishes, after
// the inner sink has (so the packager has taken the last packet by then).
StreamLifecycle::StreamLifecycle(Dependencies dependencies)
    : deps_(std::move(dependencies)),
      strand_(net::make_strand(deps_.io)),
      writes_(net::make_strand(deps_.blocking)),
      log_(core::logger("lifecycle")) {
  deps_.registry.listen([this](const core::PublisherEvent& event) {
    if (event.kind == core::PublisherEvent::Kind::claimed) {
      net::post(strand_, [this, id = event.stream_id, record = event.record, token = event.token] {
        on_open(id, record, token);
      });
    } else {
      net::post(strand_, [this, id = event.stream_id, token = event.token, reason = event.reason] {
        on_finish(id, token, reason);
      });
    }
  });
}

StreamLifecycle::~StreamLifecycle() {
  deps_.registry.listen({});
}

void StreamLifecycle::stop() {
  stopping_ = true;
  net::post(strand_, [this] {
    for (auto& [id, entry] : entries_) entry.timer.reset();
    lease_timer_.reset();
    asked_timer_.reset();
  });
}

void StreamLifecycle::settle(std::chrono::milliseconds longest) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> settled = done->get_future();
  net::post(strand_, [this, done] { net::post(writes_, [done] { done->set_value(); }); });
  settled.wait_for(longest);
}

void StreamLifecycle::on_open(const std::string& id, bool record, uint64_t generation) {
  if (stopping_) return;
  if (ended_.contains(id)) {
    // Admitted just before its stream ended: the key is revoked now.
    deps_.registry.kick(id);
    return;
  }
  Entry& entry = entries_[id];
  entry.generation = generation;
  entry.publishing = true;
  entry.record = record;
  entry.packaged_here = true;
  if (entry.ending) {
    deps_.registry.kick(id);
    return;
  }
  entry.timer.reset();
  write([this, id] {
    if (deps_.streams.transition(id, db::StreamStatus::live, "publisher connected",
                                 events(events::kStreamLive)))
      log_->info("{} is live", core::log_context(id));
  });
}

void StreamLifecycle::on_finish(const std::string& id, uint64_t generation,
                                core::EndReason reason) {
  auto found = entries_.find(id);
  if (found == entries_.end() || found->second.generation != generation) return;
  Entry& entry = found->second;
  entry.publishing = false;
  if (stopping_) return;
  if (entry.ending) {
    if (entry.revoked) finalize(id);  // otherwise after_revoke() finds no publisher and does
    return;
  }
  if (reason == core::EndReason::shutdown) {
    // The publisher was told to reconnect, to this server's successor or
    // another one behind the same address; whichever adopts the stream
    // gives it a reconnect window, as this process will not be there to end it.
    write([this, id] {
      const std::string why = "server shutting down";
      if (deps_.streams.transition(id, db::StreamStatus::reconnecting, why,
                                   events(events::kStreamReconnecting, why)))
        log_->info("{} is reconnecting: the server is shutting down", core::log_context(id));
    });
    return;
  }
  const std::string why = "publisher gone (" + std::string(core::end_reason_name(reason)) + ")";
  write([this, id, why] {
    if (deps_.streams.transition(id, db::StreamStatus::reconnecting, why,
                                 events(events::kStreamReconnecting, why)))
      log_->info("{} is reconnecting: {}; ends in {} ms unless the publisher returns",
                 core::log_context(id), why, deps_.reconnect_window.count());
  });
  arm_timer(id, deps_.reconnect_window,
            [this, id] { start_end(id, "reconnect window expired", nullptr, true); });
}

void StreamLifecycle::arm_timer(const std::string& id, std::chrono::milliseconds after,
                                std::function<void()> fire) {
  Entry& entry = entries_[id];
  entry.timer = std::make_unique<Timer>(strand_, after);
  entry.timer->async_wait([this, fire = std::move(fire)](boost::system::error_code ec) {
    if (!ec && !stopping_) fire();
  });
}

void StreamLifecycle::recover() {
  adopt(deps_.streams.orphaned(deps_.owner), "server restarted");
  net::post(strand_, [this] {
    arm_lease_tick();
    arm_asked_poll();
  });
}

void StreamLifecycle::arm_lease_tick() {
  if (stopping_ || deps_.owner.empty()) return;
  lease_timer_ = std::make_unique<Timer>(strand_, deps_.owner_lease / 3);
  lease_timer_->async_wait([this](boost::system::error_code ec) {
    if (ec || stopping_) return;
    write([this] {
      deps_.streams.renew(deps_.owner, deps_.owner_lease);
      adopt(deps_.streams.orphaned(deps_.owner), "its server stopped");
    });
    arm_lease_tick();
  });
}

// An API call that reached another process (an end, a forced key rotation)
// waits on this one: looked for every second, one indexed read when nothing is asked.
void StreamLifecycle::arm_asked_poll() {
  if (stopping_ || deps_.owner.empty()) return;
  asked_timer_ = std::make_unique<Timer>(strand_, kAskedPoll);
  asked_timer_->async_wait([this](boost::system::error_code ec) {
    if (ec || stopping_) return;
    net::post(writes_, [this] {
      std::vector<db::HolderRequest> asked;
      try {
        asked = deps_.streams.take_requests(deps_.owner);
      } catch (const std::exception& error) {
        log_->debug("requests from other servers not read: {}", error.what());
      }
      if (!asked.empty()) net::post(strand_, [this, asked] { act_on(asked); });
    });
    arm_asked_poll();
  });
}

void StreamLifecycle::disconnect_elsewhere(const std::string& stream_id) {
  if (!deps_.owner.empty() && deps_.streams.ask_holder_to_kick(stream_id, deps_.owner))
    log_->info("{} asked the server holding it to disconnect the publisher",
               core::log_context(stream_id));
}

void StreamLifecycle::act_on(const std::vector<db::HolderRequest>& asked) {
  if (stopping_) return;
  for (const auto& request : asked) {
    if (request.kick && deps_.registry.kick(request.stream_id))
      log_->info("{} publisher disconnected: its key was rotated on another server",
                 core::log_context(request.stream_id));
    if (request.end_reason) start_end(request.stream_id, *request.end_reason, nullptr, false);
  }
}

void StreamLifecycle::adopt(const std::vector<db::StreamRecord>& streams, const char* why) {
  size_t adopted = 0;
  for (const auto& stream : streams) {
    // Another process may be adopting it too: the claim decides.
    if (!deps_.owner.empty() && !deps_.streams.claim(stream.id, deps_.owner, deps_.owner_lease))
      continue;
    ++adopted;
    if (stream.status == db::StreamStatus::live)
      deps_.streams.transition(stream.id, db::StreamStatus::reconnecting, why,
                               events(events::kStreamReconnecting, why));
    net::post(strand_, [this, id = stream.id, record = stream.record] {
      if (stopping_) return;
      Entry& entry = entries_[id];
      entry.record = record;
      arm_timer(id, deps_.reconnect_window,
                [this, id] { start_end(id, "reconnect window expired", nullptr, true); });
    });
  }
  if (adopted > 0) {
    log_->info("{} stream(s) left live or reconnecting ({}): {} ms to come back", adopted, why,
               deps_.reconnect_window.count());
    deps_.webhooks.wake();
  }
}

void StreamLifecycle::write(std::function<void()> fn) {
  net::post(writes_, [this, fn = std::move(fn)] {
    try {
      fn();
      deps_.webhooks.wake();
    } catch (const core::Failure& error) {
      if (error.code() == core::ErrorCode::conflict)
        log_->debug("{}", error.what());  // ended meanwhile: the later news is moot
      else
        log_->error("stream status not stored: {}", error.what());
    } catch (const std::exception& error) {
      log_->error("stream status not stored: {}", error.what());
    }
  });
}

db::EventBuilder StreamLifecycle::events(std::string_view type, std::string_view reason) const {
  return [this, type = std::string(type), reason = std::string(reason)](const db::StreamRecord& s) {
    nlohmann::json data;
    if (type == events::kStreamLive)
      data = events::live(s, deps_.urls);
    else if (type == events::kStreamReconnecting)
      data = events::reconnecting(s, deps_.reconnect_window, reason);
    else
      data = events::ended(s, deps_.urls, reason);
    auto rows = deps_.webhooks.deliveries(type, data, s.id);
    if (type == events::kStreamEnded && s.record && s.summary && s.summary->recording_error) {
      auto failed = deps_.webhooks.deliveries(events::kRecordingFailed,
                                              events::recording_failed(s, deps_.urls), s.id);
      rows.insert(rows.end(), failed.begin(), failed.end());
    } else if (type == events::kStreamEnded && s.record && s.summary && s.summary->vod_path) {
      auto ready = deps_.webhooks.deliveries(events::kRecordingReady,
                                             events::recording_ready(s, deps_.urls), s.id);
      rows.insert(rows.end(), ready.begin(), ready.end());
    }
    return rows;
  };
}

}  // namespace looplive::app
