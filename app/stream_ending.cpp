// How a stream ends: by the API or when its reconnect window runs out.
#include <boost/asio/post.hpp>

#include "looplive/control_api/events.hpp"
#include "looplive/core/error.hpp"
#include "looplive/core/log.hpp"
#include "stream_lifecycle.hpp"

namespace looplive::app {

namespace net = boost::asio;
using control_api::EndOutcome;

namespace {

// A kicked publisher is gone within a second; past this, finalize anyway.
constexpr auto kPublisherGoneWait = std::chrono::seconds(5);
// An automatic end that failed (database down) is tried again after this.
constexpr auto kRetryEnd = std::chrono::seconds(5);
// How often an end asked of another process is looked for in the database,
// and how long the API call waits for it (finalizing a long show's recording
// takes seconds; a holder too old to read the request never answers).
constexpr auto kHolderEndPoll = std::chrono::milliseconds(250);
constexpr int kHolderEndPolls = 240;  // 60 s

EndOutcome outcome_of(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const core::Failure& failure) {
    const auto kind = failure.code() == core::ErrorCode::not_found ? EndOutcome::Kind::not_found
                      : failure.code() == core::ErrorCode::unavailable
                          ? EndOutcome::Kind::unavailable
                          : EndOutcome::Kind::failed;
    return EndOutcome{kind, {}, failure.what()};
  } catch (const std::exception& e) {
    return EndOutcome{EndOutcome::Kind::failed, {}, e.what()};
  } catch (...) {
    return EndOutcome{EndOutcome::Kind::failed, {}, "unknown failure"};
  }
}

}  // namespace

void StreamLifecycle::end(const std::string& stream_id, Waiter done) {
  net::post(strand_, [this, stream_id, done = std::move(done)]() mutable {
    start_end(stream_id, "ended by the API", std::move(done), false);
  });
}

void StreamLifecycle::start_end(const std::string& id, const std::string& reason, Waiter done,
                                bool automatic) {
  if (stopping_) {
    if (done) done(EndOutcome{EndOutcome::Kind::unavailable, {}, "shutting down"});
    return;
  }
  Entry& entry = entries_[id];
  if (done) entry.waiters.push_back(std::move(done));
  if (entry.ending) return;
  entry.ending = true;
  entry.automatic = automatic;
  entry.end_reason = reason;
  entry.holder_polls = 0;
  entry.timer.reset();
  net::post(writes_, [this, id, reason] { end_step(id, reason); });
}

// On the write strand. The first step (`ask` given) revokes the key before
// anything else, so no publisher is admitted while the stream ends, and asks
// the process holding the stream, when another one, to end it: it has the
// publisher and the recording. The call is then answered with that end (its
// figures, its recording) once the database has it; should the holder stop
// without ending the stream, its lease lapses and this process ends it itself.
void StreamLifecycle::end_step(const std::string& id, const std::optional<std::string>& ask) {
  try {
    auto stream = deps_.streams.get(id);
    bool holder_ends = false;
    if (!stream.summary && ask) {
      deps_.streams.revoke_keys(id);
      holder_ends = !deps_.owner.empty() && deps_.streams.ask_holder_to_end(id, deps_.owner, *ask);
      if (holder_ends)
        log_->info("{} asked the server holding it to end it", core::log_context(id));
    } else if (!stream.summary) {
      holder_ends = deps_.streams.held_elsewhere(id, deps_.owner);
    }
    net::post(strand_, [this, id, stream = std::move(stream), holder_ends] {
      if (holder_ends) return await_holder(id);
      after_revoke(id, stream);
    });
  } catch (...) {
    net::post(strand_, [this, id, outcome = outcome_of(std::current_exception())] {
      conclude(id, outcome);
    });
  }
}

void StreamLifecycle::await_holder(const std::string& id) {
  Entry& entry = entries_[id];
  if (++entry.holder_polls > kHolderEndPolls) {
    return conclude(id, EndOutcome{EndOutcome::Kind::still_ending,
                                   {},
                                   "The server holding the stream's publisher has not ended it "
                                   "within 60 s; it stays asked to. Call again for the answer."});
  }
  arm_timer(id, kHolderEndPoll,
            [this, id] { net::post(writes_, [this, id] { end_step(id, std::nullopt); }); });
}

void StreamLifecycle::after_revoke(const std::string& id, const db::StreamRecord& stream) {
  if (stream.summary) return conclude(id, EndOutcome{EndOutcome::Kind::ended, stream, {}});
  Entry& entry = entries_[id];
  entry.record = stream.record;
  entry.revoked = true;
  entry.never_live = !stream.started_at && !entry.packaged_here;
  const bool kicked = deps_.registry.kick(id);
  if (!kicked && !entry.publishing) return finalize(id);
  log_->info("{} disconnecting the publisher", core::log_context(id));
  arm_timer(id, kPublisherGoneWait, [this, id] {
    log_->warn("{} the publisher has not left after the kick; finalizing anyway",
               core::log_context(id));
    finalize(id);
  });
}

void StreamLifecycle::finalize(const std::string& id) {
  Entry& entry = entries_[id];
  if (entry.finalizing) return;
  entry.finalizing = true;
  entry.timer.reset();
  const bool packaged_here = entry.packaged_here;
  const bool record = entry.record;
  const std::string reason = entry.end_reason;
  if (entry.never_live) entry.vod = VodResult{};
  if (entry.vod) {
    net::post(writes_, [this, id, reason, vod = *entry.vod] { store_end(id, reason, vod); });
    return;
  }
  // Not on the write strand: a remux takes seconds and other streams' transitions must not wait.
  net::post(deps_.blocking, [this, id, packaged_here, record, reason] {
    VodResult vod;
    try {
      vod = packaged_here ? deps_.finalizer.end(id) : deps_.finalizer.recover(id, record);
    } catch (const std::exception& error) {
      log_->error("{} finalizing the recording failed: {}", core::log_context(id), error.what());
    }
    net::post(strand_, [this, id, vod] { entries_[id].vod = vod; });
    net::post(writes_, [this, id, reason, vod] { store_end(id, reason, vod); });
  });
}

void StreamLifecycle::store_end(const std::string& id, const std::string& reason,
                                const VodResult& vod) {
  db::EndSummary summary;
  if (vod.duration_seconds > 0) summary.duration_seconds = vod.duration_seconds;
  summary.vod_path = vod.vod_playlist;
  summary.recording_error = vod.recording_error;
  if (deps_.viewers) {
    const auto viewers = deps_.viewers->viewers(id);
    summary.peak_viewers = viewers.peak;
    summary.unique_viewers = viewers.unique;
    summary.average_watch_seconds = viewers.average_watch_seconds;
  }
  EndOutcome outcome;
  try {
    outcome.stream =
        deps_.streams.end(id, reason, summary, events(control_api::events::kStreamEnded, reason));
    outcome.kind = EndOutcome::Kind::ended;
    deps_.webhooks.wake();
    log_->info("{} ended ({}){}", core::log_context(id), reason,
               vod.vod_playlist ? ": recording at " + *vod.vod_playlist : "");
  } catch (...) {
    outcome = outcome_of(std::current_exception());
    log_->error("{} storing its end failed: {}", core::log_context(id), outcome.message);
  }
  net::post(strand_, [this, id, outcome] { conclude(id, outcome); });
}

void StreamLifecycle::conclude(const std::string& id, const EndOutcome& outcome) {
  auto found = entries_.find(id);
  if (found == entries_.end()) return;
  auto waiters = std::move(found->second.waiters);
  if (outcome.kind == EndOutcome::Kind::ended || outcome.kind == EndOutcome::Kind::not_found) {
    if (outcome.kind == EndOutcome::Kind::ended) {
      ended_.insert(id);
      // Figures describe a live publisher; kept forever they would only grow.
      if (deps_.figures) deps_.figures->erase(id);
    }
    entries_.erase(found);
  } else {
    Entry& entry = found->second;
    entry.ending = entry.revoked = entry.finalizing = false;
    if (entry.automatic && !stopping_)
      arm_timer(id, kRetryEnd,
                [this, id, reason = entry.end_reason] { start_end(id, reason, nullptr, true); });
  }
  for (auto& waiter : waiters) waiter(outcome);
}

}  // namespace looplive::app
