#include "db_admission.hpp"

#include <boost/asio/post.hpp>

#include <chrono>
#include <exception>
#include <utility>

#include "looplive/core/error.hpp"
#include "looplive/core/log.hpp"
#include "looplive/core/stream_key.hpp"
#include "stored_tags.hpp"

namespace looplive::app {

namespace {

const char* verdict_name(core::AdmissionVerdict verdict) {
  switch (verdict) {
    case core::AdmissionVerdict::accepted:
      return "accepted";
    case core::AdmissionVerdict::unknown_key:
      return "unknown key";
    case core::AdmissionVerdict::not_armed:
      return "not armed";
    case core::AdmissionVerdict::unavailable:
      return "unavailable";
    case core::AdmissionVerdict::elsewhere:
      return "held elsewhere";
  }
  return "unknown verdict";
}

}  // namespace

DbAdmission::DbAdmission(db::StreamRepository& streams, boost::asio::thread_pool& pool)
    : streams_(streams), pool_(pool), log_(core::logger("db")) {}

void DbAdmission::check(core::PublishRequest request,
                        std::function<void(core::AdmissionResult)> done) {
  if (in_flight_.fetch_add(1) >= kMaxChecksInFlight) {
    in_flight_.fetch_sub(1);
    done(core::AdmissionResult{
        core::AdmissionVerdict::unavailable, {}, false, "too many key checks waiting"});
    return;
  }
  // The lookup blocks for as long as connect_timeout, so it never runs on the caller's (I/O)
  // thread.
  boost::asio::post(pool_, [this, request = std::move(request), done = std::move(done)] {
    const auto started = std::chrono::steady_clock::now();
    auto result = decide(request);
    in_flight_.fetch_sub(1);
    if (key_checks_)
      key_checks_->observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    done(std::move(result));
  });
}

void DbAdmission::notify_refused(const db::KeyMatch& match, const core::PublishRequest& request) {
  if (!on_refused_) return;
  try {
    on_refused_(match, request);
  } catch (const std::exception& error) {
    // The verdict stands whatever happens to the news of it.
    log_->warn("refusal of stream {} not reported: {}", match.stream_id, error.what());
  }
}

core::AdmissionResult DbAdmission::decide(const core::PublishRequest& request) {
  using core::AdmissionVerdict;
  const std::string shown_key = core::redact_key(request.key);
  core::AdmissionResult result;
  try {
    const auto match = streams_.find_by_key(request.key);
    if (!match) {
      result.verdict = AdmissionVerdict::unknown_key;
      result.detail = "no stream has this key";
    } else if (match->revoked || match->status == db::StreamStatus::ended) {
      result.verdict = AdmissionVerdict::not_armed;
      result.detail = match->revoked ? "key of stream " + match->stream_id + " was revoked"
                                     : "stream " + match->stream_id + " has ended";
      notify_refused(*match, request);
    } else if (!owner_.empty() &&
               !streams_.claim_with_key(match->stream_id, request.key, owner_, lease_)) {
      const auto again = streams_.find_by_key(request.key);
      const bool revoked = !again || again->revoked || again->status == db::StreamStatus::ended;
      result.verdict = revoked ? AdmissionVerdict::not_armed : AdmissionVerdict::elsewhere;
      result.detail = "stream " + match->stream_id +
                      (revoked ? " ended or had its key rotated during the check"
                               : " is held by another looplive process");
    } else {
      result.verdict = AdmissionVerdict::accepted;
      result.stream_id = match->stream_id;
      result.record = match->record;
      result.ladder = match->ladder;
      // Only a recording resumes the timeline the stored tags are on; a
      // stream without one starts over, and reading its tags would be waste.
      const bool resumed = match->status == db::StreamStatus::live ||
                           match->status == db::StreamStatus::reconnecting;
      if (tags_ && match->record && resumed && held_ && !held_(match->stream_id))
        result.earlier_tags = std::make_shared<const std::vector<core::ProductTag>>(stored_tags(
            tags_, match->stream_id, "its live playlists list only the tags placed from now on"));
      result.detail =
          "stream " + match->stream_id + " is " + std::string(db::status_name(match->status));
    }
  } catch (const std::exception& error) {
    const bool unreachable =
        core::error_code_of(std::current_exception()) == core::ErrorCode::unavailable;
    result = core::AdmissionResult{AdmissionVerdict::unavailable,
                                   {},
                                   false,
                                   unreachable ? std::string(error.what())
                                               : "key lookup failed: " + std::string(error.what())};
  } catch (...) {
    result = core::AdmissionResult{
        AdmissionVerdict::unavailable, {}, false, "key lookup failed: unknown error"};
  }
  if (result.verdict == AdmissionVerdict::unavailable)
    log_->warn("admission of key {} from {}: unavailable ({})", shown_key, request.remote_address,
               result.detail);
  else
    log_->debug("admission of key {} from {}: {} ({})", shown_key, request.remote_address,
                verdict_name(result.verdict), result.detail);
  return result;
}

}  // namespace looplive::app
