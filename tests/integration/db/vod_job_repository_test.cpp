// The VOD job queue in a real PostgreSQL: claims in order, one taker per job,
// progress and the end only for the owner, leases that run out.
#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include <chrono>
#include <string>
#include <thread>

#include "error_code.hpp"
#include "looplive/db/database.hpp"
#include "looplive/db/vod_job_repository.hpp"
#include "pg_cluster.hpp"

using looplive::core::ErrorCode;
using looplive::core::Failure;
using looplive::db::NewDelivery;
using looplive::db::NewVodJob;
using looplive::db::VodJobPosition;
using looplive::db::VodQueueCaps;
using looplive::db::VodJobRecord;
using looplive::db::VodJobRepository;
using looplive::db::VodJobState;
using looplive::test::HasCode;
using looplive::test::PgCluster;
using namespace std::chrono_literals;

namespace {

struct Fixture {
  looplive::db::DatabaseConfig config = PgCluster::shared().fresh_database("vod_jobs_repo");
  looplive::db::Database database{config};
  VodJobRepository jobs{database};
  Fixture() { database.migrate(); }
};

NewVodJob job(const std::string& source) {
  NewVodJob j;
  j.source = source;
  return j;
}

}  // namespace

TEST_CASE("VOD jobs are taken oldest first, once, and end only for their owner", "[db][vod]") {
  Fixture f;
  const VodJobRecord first = f.jobs.insert(job("a.mp4"));
  std::this_thread::sleep_for(5ms);
  NewVodJob second_job = job("b.mp4");
  second_job.rungs = {"720p@2800k", "480p@1200k"};
  second_job.poster_at_seconds = 2.5;
  second_job.metadata_json = R"({"sku": "x"})";
  const VodJobRecord second = f.jobs.insert(second_job);
  CHECK(first.state == VodJobState::queued);
  CHECK(first.job.id.size() == 36);
  CHECK(second.job.rungs == std::vector<std::string>{"720p@2800k", "480p@1200k"});
  CHECK(second.job.poster_at_seconds == 2.5);
  CHECK_THROWS_MATCHES(f.jobs.insert([&] {
    NewVodJob again = job("c.mp4");
    again.id = first.job.id;
    return again;
  }()),
                       Failure, HasCode(ErrorCode::already_exists));

  const auto a = f.jobs.claim_next("one", 60s);
  const auto b = f.jobs.claim_next("two", 60s);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->job.id == first.job.id);
  CHECK(b->job.id == second.job.id);
  CHECK(a->state == VodJobState::running);
  CHECK(a->attempts == 1);
  CHECK(a->started_at.has_value());
  CHECK_FALSE(f.jobs.claim_next("three", 60s));

  // Only the owner moves its job on.
  CHECK_FALSE(f.jobs.progress(first.job.id, "two", 50, 60s));
  CHECK(f.jobs.progress(first.job.id, "one", 50, 60s));
  CHECK(f.jobs.find(first.job.id)->percent == 50);
  size_t built = 0;
  const auto events = [&](const VodJobRecord& finished) {
    ++built;
    CHECK(finished.state == VodJobState::ready);
    return std::vector<NewDelivery>{};
  };
  CHECK_FALSE(f.jobs.finish_ready(first.job.id, "two", "{}", events));
  CHECK(built == 0);
  CHECK(f.jobs.finish_ready(first.job.id, "one", R"({"durationSeconds": 6})", events));
  CHECK(built == 1);
  const auto ready = f.jobs.find(first.job.id);
  CHECK(ready->state == VodJobState::ready);
  CHECK(ready->percent == 100);
  CHECK(ready->outputs_json == R"({"durationSeconds": 6})");
  CHECK(ready->finished_at.has_value());
  // Finished is final.
  CHECK_FALSE(f.jobs.finish_failed(first.job.id, "one", "late", {}));

  CHECK(f.jobs.finish_failed(second.job.id, "two", "the file is empty", {}));
  CHECK(f.jobs.find(second.job.id)->error == "the file is empty");

  // Newest first, paged after an id.
  const auto page = f.jobs.list(std::nullopt, 1);
  REQUIRE(page.size() == 1);
  CHECK(page[0].job.id == second.job.id);
  const auto rest = f.jobs.list(VodJobPosition{page[0].created_at, page[0].job.id}, 10);
  REQUIRE(rest.size() == 1);
  CHECK(rest[0].job.id == first.job.id);

  // A page after a job deleted since still follows on.
  CHECK(f.jobs.remove(second.job.id));
  CHECK(f.jobs.list(VodJobPosition{page[0].created_at, page[0].job.id}, 10).size() == 1);
  CHECK(f.jobs.remove(first.job.id));
  CHECK_FALSE(f.jobs.remove(first.job.id));
  CHECK_FALSE(f.jobs.find(first.job.id));

  // A removed job's id is never given again: CDNs may still hold its files.
  NewVodJob reused = job("d.mp4");
  reused.id = first.job.id;
  try {
    f.jobs.insert(reused);
    FAIL("a removed job's id was given to a new job");
  } catch (const Failure& failure) {
    CHECK(failure.code() == ErrorCode::already_exists);
    CHECK_THAT(failure.what(), Catch::Contains("removed"));
  }
  CHECK_FALSE(f.jobs.find(first.job.id));
  CHECK(f.jobs.insert(job("e.mp4")).state == VodJobState::queued);  // the next one is fine
}

TEST_CASE("a VOD job whose owner restarted or whose lease ran out is queued again", "[db][vod]") {
  Fixture f;
  const VodJobRecord mine = f.jobs.insert(job("a.mp4"));
  const VodJobRecord theirs = f.jobs.insert(job("b.mp4"));
  REQUIRE(f.jobs.claim_next("me", 60s));
  REQUIRE(f.jobs.claim_next("them", 60s));
  // Another process's job with a running lease stays its own.
  CHECK(f.jobs.requeue_expired() == 0);
  CHECK(f.jobs.requeue_abandoned("me") == 1);
  CHECK(f.jobs.find(mine.job.id)->state == VodJobState::queued);
  CHECK(f.jobs.find(theirs.job.id)->state == VodJobState::running);
  // The lost owner can no longer report on it.
  CHECK_FALSE(f.jobs.progress(mine.job.id, "me", 10, 60s));

  const auto again = f.jobs.claim_next("me", 60s);
  REQUIRE(again);
  CHECK(again->job.id == mine.job.id);
  CHECK(again->attempts == 2);
  // A lease renewed with nothing left of it lapses at once.
  CHECK(f.jobs.progress(theirs.job.id, "them", 10, 0ms));
  std::this_thread::sleep_for(5ms);
  CHECK(f.jobs.requeue_expired() == 1);
  CHECK(f.jobs.find(theirs.job.id)->state == VodJobState::queued);
}

TEST_CASE("of the folders under vods/, those of deleted jobs are named", "[db][vod]") {
  Fixture f;
  const VodJobRecord kept = f.jobs.insert(job("a.mp4"));
  const VodJobRecord gone = f.jobs.insert(job("b.mp4"));
  REQUIRE(f.jobs.remove(gone.job.id));
  const std::string never = "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b";
  CHECK(f.jobs.deleted_among({kept.job.id, gone.job.id, "not-a-job", never, "x'; --"}) ==
        std::vector<std::string>{gone.job.id, never});
  CHECK(f.jobs.deleted_among({kept.job.id, "tmp"}).empty());
  CHECK(f.jobs.deleted_among({}).empty());
}

TEST_CASE("a capped queue refuses a job once it holds that many, and takes one once one runs",
          "[db][vod]") {
  Fixture f;
  const VodQueueCaps caps{2, 2};
  REQUIRE(f.jobs.insert(job("a.mp4"), caps).state == VodJobState::queued);
  REQUIRE(f.jobs.insert(job("b.mp4"), caps).state == VodJobState::queued);
  CHECK_THROWS_MATCHES(f.jobs.insert(job("c.mp4"), caps), Failure, HasCode(ErrorCode::full));
  CHECK(f.jobs.list(std::nullopt, 10).size() == 2);  // nothing of the refused one kept
  // Running jobs do not wait: the queue has room again.
  REQUIRE(f.jobs.claim_next("me", 60s));
  CHECK(f.jobs.insert(job("c.mp4"), caps).state == VodJobState::queued);
  CHECK_THROWS_MATCHES(f.jobs.insert(job("d.mp4"), caps), Failure, HasCode(ErrorCode::full));
  CHECK(f.jobs.insert(job("d.mp4")).state == VodJobState::queued);  // no cap given
}

TEST_CASE("one client's queued jobs are capped apart from the others'", "[db][vod]") {
  Fixture f;
  const VodQueueCaps caps{4, 2};
  const auto by = [](const std::string& client, const std::string& source) {
    NewVodJob made = job(source);
    made.client = client;
    return made;
  };
  REQUIRE(f.jobs.insert(by("t_a", "1.mp4"), caps).state == VodJobState::queued);
  REQUIRE(f.jobs.insert(by("t_a", "2.mp4"), caps).state == VodJobState::queued);
  CHECK_THROWS_MATCHES(f.jobs.insert(by("t_a", "3.mp4"), caps), Failure, HasCode(ErrorCode::full));
  // Another client still has its share, up to the whole queue's cap.
  REQUIRE(f.jobs.insert(by("t_b", "4.mp4"), caps).state == VodJobState::queued);
  REQUIRE(f.jobs.insert(by("t_b", "5.mp4"), caps).state == VodJobState::queued);
  CHECK_THROWS_MATCHES(f.jobs.insert(by("t_c", "6.mp4"), caps), Failure, HasCode(ErrorCode::full));
  // One of client a's runs: it may queue one more.
  const auto running = f.jobs.claim_next("me", 60s);
  REQUIRE(running);
  CHECK(running->job.source == "1.mp4");
  CHECK(f.jobs.insert(by("t_a", "3.mp4"), caps).state == VodJobState::queued);
}
