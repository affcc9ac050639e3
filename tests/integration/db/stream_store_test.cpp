// The repository and outbox calls the API and the lifecycle rely on, against
// a real PostgreSQL.
#include <catch2/catch.hpp>

#include <thread>

#include "error_code.hpp"
#include "looplive/db/database.hpp"
#include "looplive/db/stream_repository.hpp"
#include "looplive/db/webhook_queue.hpp"
#include "pg_cluster.hpp"

using namespace looplive::db;
using looplive::core::ErrorCode;
using looplive::core::Failure;
using looplive::test::HasCode;
using looplive::test::PgCluster;
using namespace std::chrono_literals;

namespace {

struct Store {
  Database database{PgCluster::shared().config()};
  StreamRepository streams{database};
  WebhookQueue queue{database};
  Store() { database.migrate(); }
};

EventBuilder one_event(const std::string& type, std::vector<StreamRecord>* seen = nullptr) {
  return [type, seen](const StreamRecord& stream) {
    if (seen) seen->push_back(stream);
    static int counter = 0;
    char id[37];
    std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", ++counter);
    return std::vector<NewDelivery>{{id, type, stream.id, "http://127.0.0.1:9/h", "{}"}};
  };
}

}  // namespace

TEST_CASE("transitions store their events in the same step, once", "[control_api][db]") {
  Store s;
  auto created = s.streams.create(std::nullopt, false);
  const auto before = s.queue.counts().pending;
  std::vector<StreamRecord> seen;
  CHECK(s.streams.transition(created.stream.id, StreamStatus::live, "test",
                             one_event("stream.live", &seen)));
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].status == StreamStatus::live);
  CHECK(seen[0].started_at.has_value());
  CHECK_FALSE(s.streams.transition(created.stream.id, StreamStatus::live, "again",
                                   one_event("stream.live")));
  CHECK(s.queue.counts().pending == before + 1);
}

TEST_CASE("ending stores the summary once and answers it again", "[control_api][db]") {
  Store s;
  auto created = s.streams.create(std::nullopt, true);
  const auto id = created.stream.id;
  s.streams.set_status(id, StreamStatus::live, "test");
  EndSummary summary;
  summary.duration_seconds = 12.5;
  summary.peak_viewers = 4;
  summary.unique_viewers = 7;
  summary.vod_path = "vods/" + id + ".m3u8";
  auto ended = s.streams.end(id, "test", summary, one_event("stream.ended"));
  CHECK(ended.status == StreamStatus::ended);
  REQUIRE(ended.summary);
  CHECK(ended.summary->duration_seconds == Approx(12.5));
  CHECK(ended.summary->peak_viewers == 4);
  CHECK(ended.summary->vod_path == "vods/" + id + ".m3u8");
  CHECK_FALSE(ended.summary->average_watch_seconds);
  CHECK(s.streams.find_by_key(created.key)->revoked);

  const auto pending = s.queue.counts().pending;
  EndSummary other;
  other.duration_seconds = 99;
  auto again = s.streams.end(id, "again", other, one_event("stream.ended"));
  CHECK(again.summary->duration_seconds == Approx(12.5));
  CHECK(again.ended_at == ended.ended_at);
  CHECK(s.queue.counts().pending == pending);
  CHECK(s.streams.find(id)->summary->unique_viewers == 7);
  CHECK_THROWS_MATCHES(s.streams.end("00000000-0000-4000-8000-000000000000", "x", {}, nullptr),
                       Failure, HasCode(ErrorCode::not_found));
}

TEST_CASE("without a media duration the time on air is stored", "[control_api][db]") {
  Store s;
  auto id = s.streams.create(std::nullopt, false).stream.id;
  s.streams.set_status(id, StreamStatus::live, "test");
  std::this_thread::sleep_for(300ms);
  auto ended = s.streams.end(id, "test", {}, nullptr);
  REQUIRE(ended.summary->duration_seconds);
  CHECK(*ended.summary->duration_seconds >= 0.29);
  CHECK(*ended.summary->duration_seconds < 5);
}

TEST_CASE("rotating a key revokes the old one", "[control_api][db]") {
  Store s;
  auto created = s.streams.create(std::nullopt, false);
  const auto key = s.streams.rotate_key(created.stream.id);
  CHECK(key != created.key);
  CHECK(s.streams.find_by_key(created.key)->revoked);
  CHECK_FALSE(s.streams.find_by_key(key)->revoked);
  s.streams.set_status(created.stream.id, StreamStatus::ended, "test");
  CHECK_THROWS_MATCHES(s.streams.rotate_key(created.stream.id), Failure,
                       HasCode(ErrorCode::conflict));
  CHECK_THROWS_MATCHES(s.streams.rotate_key("00000000-0000-4000-8000-000000000000"), Failure,
                       HasCode(ErrorCode::not_found));
}

TEST_CASE("the list pages newest first with a keyset", "[control_api][db]") {
  Store s;
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(s.streams.create(std::nullopt, false).stream.id);
  s.streams.set_status(ids[1], StreamStatus::live, "test");
  s.streams.set_status(ids[3], StreamStatus::live, "test");

  ListQuery query;
  query.limit = 2;
  auto first = s.streams.list(query);
  REQUIRE(first.size() == 2);
  CHECK(first[0].id == ids[4]);
  CHECK(first[1].id == ids[3]);
  query.after_created_at = first[1].created_at;
  query.after_id = first[1].id;
  auto second = s.streams.list(query);
  REQUIRE(second.size() == 2);
  CHECK(second[0].id == ids[2]);
  CHECK(second[1].id == ids[1]);

  ListQuery live;
  live.status = StreamStatus::live;
  live.limit = 100;
  auto lives = s.streams.list(live);
  CHECK(std::count_if(lives.begin(), lives.end(),
                      [&](const auto& r) { return r.id == ids[1] || r.id == ids[3]; }) == 2);
  for (const auto& r : lives) CHECK(r.status == StreamStatus::live);
  CHECK(s.streams.count_by_status().at(StreamStatus::live) >= 2);
  auto left = s.streams.unfinished();
  CHECK(std::count_if(left.begin(), left.end(), [&](const auto& r) { return r.id == ids[3]; }) ==
        1);
}

TEST_CASE("remove deletes a stream with its keys", "[control_api][db]") {
  Store s;
  auto created = s.streams.create(std::nullopt, false);
  CHECK(s.streams.remove(created.stream.id));
  CHECK_FALSE(s.streams.find(created.stream.id));
  CHECK_FALSE(s.streams.find_by_key(created.key));
  CHECK_FALSE(s.streams.remove(created.stream.id));
  CHECK_FALSE(s.streams.remove("not-a-uuid"));
}

TEST_CASE("the outbox hands out due deliveries and records attempts", "[control_api][db]") {
  Store s;
  // Deliveries of earlier cases are pending too; this case looks at its own only.
  const std::string event = "11111111-2222-4333-8444-555555555555";
  s.queue.enqueue({{event, "stream.live", std::nullopt, "http://a/h", R"({"n":1})"},
                   {event, "stream.live", std::nullopt, "http://a/h", R"({"n":1})"}});  // once
  auto mine = [&] {
    std::vector<Delivery> out;
    for (const auto& d : s.queue.due(1000))
      if (d.event_id == event) out.push_back(d);
    return out;
  };
  auto due = mine();
  REQUIRE(due.size() == 1);
  CHECK(due[0].body == R"({"n":1})");
  CHECK(due[0].attempts == 0);
  s.queue.retry_later(due[0].id, 500, "HTTP 500", 200ms);
  CHECK(mine().empty());
  auto next = s.queue.next_due();
  REQUIRE(next);
  CHECK(*next <= 200ms);
  std::this_thread::sleep_for(250ms);
  due = mine();
  REQUIRE(due.size() == 1);
  CHECK(due[0].attempts == 1);
  const auto delivered = s.queue.counts().delivered;
  s.queue.delivered(due[0].id, 204);
  CHECK(mine().empty());
  CHECK(s.queue.counts().delivered == delivered + 1);
}
