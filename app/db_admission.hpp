#pragma once

#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "looplive/core/admission.hpp"
#include "looplive/core/latency_histogram.hpp"
#include "looplive/db/stream_repository.hpp"

namespace looplive::db {
class TagRepository;
}

namespace looplive::app {

// Admits publishers whose key belongs to a stream that is neither revoked nor
// ended. The lookup runs on the blocking thread pool, and so does `done`; a
// database that cannot be asked means refusal (unavailable), never admission.
// Both the repository and the pool must outlive every pending check.
class DbAdmission : public core::Admission {
 public:
  // Told of a refused key that belongs to a stream (revoked, or the stream
  // ended), on the pool thread; unknown keys are not reported.
  using RefusalObserver =
      std::function<void(const db::KeyMatch& match, const core::PublishRequest& request)>;

  DbAdmission(db::StreamRepository& streams, boost::asio::thread_pool& pool);

  // Both are set before the first check.
  void measure_into(core::LatencyHistogram* key_checks) { key_checks_ = key_checks; }
  void on_refused(RefusalObserver observer) { on_refused_ = std::move(observer); }
  // An admitted stream is claimed for this process (see StreamRepository::claim).
  void claim_as(std::string owner, std::chrono::milliseconds lease) {
    owner_ = std::move(owner);
    lease_ = lease;
  }

  // A recorded live or reconnecting stream this process does not hold
  // (`held` says false: it is resumed after a restart) is admitted with its
  // stored tags.
  void restore_tags_from(db::TagRepository* tags, std::function<bool(const std::string&)> held) {
    tags_ = tags;
    held_ = std::move(held);
  }

  void check(core::PublishRequest request,
             std::function<void(core::AdmissionResult)> done) override;

  // Key checks queued or running at once. Beyond it a publish is refused at
  // once as unavailable ("try again in a moment"), so a flood of publishes
  // from many addresses cannot pile work onto the pool the API and VOD
  // finalisation share.
  static constexpr size_t kMaxChecksInFlight = 64;

 private:
  core::AdmissionResult decide(const core::PublishRequest& request);
  void notify_refused(const db::KeyMatch& match, const core::PublishRequest& request);

  db::StreamRepository& streams_;
  boost::asio::thread_pool& pool_;
  std::shared_ptr<spdlog::logger> log_;
  core::LatencyHistogram* key_checks_ = nullptr;
  RefusalObserver on_refused_;
  std::atomic<size_t> in_flight_{0};
  std::string owner_;
  std::chrono::milliseconds lease_{0};
  db::TagRepository* tags_ = nullptr;
  std::function<bool(const std::string&)> held_;
};

}  // namespace looplive::app
