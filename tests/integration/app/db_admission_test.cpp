#include <spdlog/sinks/ostream_sink.h>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

// unit_db does not link the app library; DbAdmission depends on nothing but core and db.
#include "db_admission.hpp"
#include "looplive/core/log.hpp"
#include "looplive/core/stream_key.hpp"
#include "looplive/db/database.hpp"
#include "looplive/db/stream_repository.hpp"
#include "pg_cluster.hpp"

using looplive::app::DbAdmission;
using looplive::core::AdmissionResult;
using looplive::core::AdmissionVerdict;
using looplive::db::Database;
using looplive::db::StreamRepository;
using looplive::db::StreamStatus;
using looplive::test::PgCluster;

namespace {

struct Outcome {
  AdmissionResult result;
  std::thread::id thread;
};

// Shared with the callback, so a test that gives up waiting leaves nothing dangling.
struct Pending {
  std::promise<Outcome> promise;
  std::atomic<int> calls{0};
};

struct Fixture {
  PgCluster& cluster = PgCluster::shared();
  Database database{cluster.config()};
  StreamRepository streams{database};
  boost::asio::thread_pool pool{2};
  DbAdmission admission{streams, pool};
  std::vector<std::shared_ptr<Pending>> checks;

  Fixture() { database.migrate(); }
  ~Fixture() {
    pool.join();
    for (const auto& pending : checks) CHECK(pending->calls == 1);
  }

  Outcome check(const std::string& key) {
    auto pending = std::make_shared<Pending>();
    checks.push_back(pending);
    auto future = pending->promise.get_future();
    admission.check({"live", key, "127.0.0.1:50000"}, [pending](AdmissionResult result) {
      if (pending->calls.fetch_add(1) == 0)
        pending->promise.set_value({std::move(result), std::this_thread::get_id()});
    });
    REQUIRE(future.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
    return future.get();
  }
};

// Collects what logger "db" writes during a test.
class CapturedLog {
 public:
  CapturedLog() : logger_(looplive::core::logger("db")), previous_(logger_->level()) {
    sink_ = std::make_shared<spdlog::sinks::ostream_sink_mt>(text_);
    logger_->sinks().push_back(sink_);
    logger_->set_level(spdlog::level::debug);
  }
  ~CapturedLog() {
    logger_->set_level(previous_);
    auto& sinks = logger_->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  }
  std::string text() {
    logger_->flush();
    return text_.str();
  }

 private:
  std::shared_ptr<spdlog::logger> logger_;
  spdlog::level::level_enum previous_;
  std::ostringstream text_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

}  // namespace

TEST_CASE("DbAdmission accepts a live-able key and answers on a pool thread") {
  Fixture f;
  const auto created = f.streams.create(std::nullopt, true);
  const auto outcome = f.check(created.key);
  CHECK(outcome.result.verdict == AdmissionVerdict::accepted);
  CHECK(outcome.result.stream_id == created.stream.id);
  CHECK(outcome.result.record);
  CHECK(outcome.thread != std::this_thread::get_id());

  // A stream between publishers is still admitted.
  f.streams.set_status(created.stream.id, StreamStatus::live, "test");
  f.streams.set_status(created.stream.id, StreamStatus::reconnecting, "test");
  CHECK(f.check(created.key).result.verdict == AdmissionVerdict::accepted);
}

TEST_CASE("DbAdmission refuses unknown keys") {
  Fixture f;
  const auto outcome = f.check(looplive::core::generate_stream_key());
  CHECK(outcome.result.verdict == AdmissionVerdict::unknown_key);
  CHECK(outcome.result.stream_id.empty());
  CHECK(outcome.thread != std::this_thread::get_id());
  CHECK(f.check("").result.verdict == AdmissionVerdict::unknown_key);
}

TEST_CASE("DbAdmission refuses revoked keys and ended streams as not armed") {
  Fixture f;
  const auto revoked = f.streams.create(std::nullopt, false);
  f.streams.revoke_keys(revoked.stream.id);
  auto outcome = f.check(revoked.key);
  CHECK(outcome.result.verdict == AdmissionVerdict::not_armed);
  CHECK(outcome.result.stream_id.empty());
  CHECK(outcome.result.detail.find("revoked") != std::string::npos);

  const auto ended = f.streams.create(std::nullopt, false);
  f.streams.set_status(ended.stream.id, StreamStatus::ended, "test");
  outcome = f.check(ended.key);
  CHECK(outcome.result.verdict == AdmissionVerdict::not_armed);
  CHECK(outcome.result.detail.find("ended") != std::string::npos);
}

TEST_CASE("DbAdmission refuses a stream another process holds, and takes a free one") {
  Fixture f;
  f.admission.claim_as("here:1", std::chrono::seconds(15));
  const auto held = f.streams.create(std::nullopt, false);
  REQUIRE(f.streams.claim(held.stream.id, "there:1", std::chrono::seconds(15)));
  auto outcome = f.check(held.key);
  CHECK(outcome.result.verdict == AdmissionVerdict::elsewhere);
  CHECK(outcome.result.detail.find("held by another") != std::string::npos);

  const auto free = f.streams.create(std::nullopt, false);
  CHECK(f.check(free.key).result.verdict == AdmissionVerdict::accepted);
  CHECK(f.streams.held_elsewhere(free.stream.id, "there:1"));
  f.streams.set_status(held.stream.id, StreamStatus::ended, "test");
  f.streams.set_status(free.stream.id, StreamStatus::ended, "test");
}

TEST_CASE("DbAdmission reports unavailable while the database is down, and recovers") {
  Fixture f;
  const auto created = f.streams.create(std::nullopt, false);
  CapturedLog log;
  {
    PgCluster::StartOnExit restart{f.cluster};
    f.cluster.stop();
    const auto outcome = f.check(created.key);
    CHECK(outcome.result.verdict == AdmissionVerdict::unavailable);
    CHECK(outcome.result.detail == "database unreachable: connection refused");
    CHECK(outcome.result.stream_id.empty());
    CHECK(outcome.thread != std::this_thread::get_id());
  }
  const auto outcome = f.check(created.key);
  CHECK(outcome.result.verdict == AdmissionVerdict::accepted);
  CHECK(outcome.result.stream_id == created.stream.id);

  const std::string text = log.text();
  CHECK(text.find("unavailable (database unreachable: connection refused)") != std::string::npos);
  CHECK(text.find("accepted") != std::string::npos);
  CHECK(text.find(looplive::core::redact_key(created.key)) != std::string::npos);
  CHECK(text.find(created.key) == std::string::npos);
  CHECK(text.find(created.key.substr(6, 12)) == std::string::npos);
}

TEST_CASE("DbAdmission refuses at once beyond 64 key checks in flight") {
  Fixture f;
  // Both pool threads busy (a slow database, say) until released.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  for (int i = 0; i < 2; ++i) boost::asio::post(f.pool, [released] { released.wait(); });

  constexpr size_t kChecks = DbAdmission::kMaxChecksInFlight + 6;
  std::vector<std::shared_ptr<Pending>> pending;
  for (size_t i = 0; i < kChecks; ++i) {
    auto one = std::make_shared<Pending>();
    pending.push_back(one);
    f.checks.push_back(one);
    f.admission.check({"live", "sk_flood" + std::to_string(i), "10.0.0.1:50000"},
                      [one](AdmissionResult result) {
                        if (one->calls.fetch_add(1) == 0)
                          one->promise.set_value({std::move(result), std::this_thread::get_id()});
                      });
  }
  // The ones past the limit are answered already, on the caller's thread.
  size_t refused_at_once = 0;
  for (auto& one : pending) {
    if (one->calls == 0) continue;
    const Outcome outcome = one->promise.get_future().get();
    CHECK(outcome.result.verdict == AdmissionVerdict::unavailable);
    CHECK(outcome.result.detail == "too many key checks waiting");
    ++refused_at_once;
  }
  CHECK(refused_at_once == 6);
  // The others are looked up once the pool is free: unknown keys, every one.
  release.set_value();
  f.pool.join();
  for (auto& one : pending) CHECK(one->calls == 1);
}
