#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <regex>
#include <stdexcept>
#include <string>

#include "error_code.hpp"
#include "looplive/core/stream_key.hpp"
#include "looplive/db/database.hpp"
#include "looplive/db/stream_repository.hpp"
#include "looplive/db/tag_repository.hpp"
#include "pg_cluster.hpp"

using looplive::core::ErrorCode;
using looplive::core::Failure;
using looplive::db::Database;
using looplive::db::StreamRepository;
using looplive::db::StreamStatus;
using looplive::test::HasCode;
using looplive::test::PgCluster;

namespace {

const std::regex kUuid("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$");
const std::regex kKey("^sk_[A-Za-z0-9_-]{43}$");
const std::regex kTimestamp(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$)");

// A migrated database in the shared cluster, plus a direct connection to check rows.
struct Fixture {
  PgCluster& cluster = PgCluster::shared();
  Database database{cluster.config()};
  StreamRepository streams{database};
  pqxx::connection direct{cluster.url()};

  Fixture() { database.migrate(); }

  pqxx::result query(const std::string& sql, const std::string& parameter) {
    pqxx::work txn(direct);
    auto rows = txn.exec_params(sql, parameter);
    txn.commit();
    return rows;
  }
};

}  // namespace

TEST_CASE("status names round-trip") {
  for (auto status :
       {StreamStatus::ready, StreamStatus::live, StreamStatus::reconnecting, StreamStatus::ended}) {
    CHECK(looplive::db::parse_status(looplive::db::status_name(status)) == status);
  }
  CHECK_FALSE(looplive::db::parse_status("paused"));
}

TEST_CASE("create returns a UUID and a fresh key") {
  Fixture f;
  const auto created = f.streams.create(std::nullopt, true, R"({"title": "morning show"})");
  CHECK(std::regex_match(created.stream.id, kUuid));
  CHECK(std::regex_match(created.key, kKey));
  CHECK(created.stream.status == StreamStatus::ready);
  CHECK(created.stream.record);
  CHECK(created.stream.metadata_json == R"({"title": "morning show"})");
  CHECK(std::regex_match(created.stream.created_at, kTimestamp));
  CHECK_FALSE(created.stream.started_at);
  CHECK_FALSE(created.stream.ended_at);

  const auto found = f.streams.find(created.stream.id);
  REQUIRE(found);
  CHECK(found->id == created.stream.id);
  CHECK(found->record);
  CHECK(found->created_at == created.stream.created_at);
  CHECK(found->metadata_json == created.stream.metadata_json);

  const auto other = f.streams.create(std::string(), false);
  CHECK(other.stream.id != created.stream.id);
  CHECK(other.key != created.key);
  CHECK_FALSE(other.stream.record);
  CHECK(other.stream.metadata_json == "{}");
}

TEST_CASE("the key is stored only as a hash and a short prefix") {
  Fixture f;
  const auto created = f.streams.create(std::nullopt, false);
  const auto keys = f.query(
      "SELECT key_hash, key_prefix, row_to_json(k)::text FROM stream_keys k"
      " WHERE stream_id = $1::uuid",
      created.stream.id);
  REQUIRE(keys.size() == 1);
  CHECK(keys[0][0].as<std::string>() == looplive::core::hash_stream_key(created.key));
  CHECK(keys[0][1].as<std::string>() == created.key.substr(0, 6));
  CHECK(keys[0][2].as<std::string>().find(created.key) == std::string::npos);
  // Not even a longer piece of it anywhere in the stream's rows.
  const std::string fragment = created.key.substr(6, 12);
  for (const char* sql :
       {"SELECT row_to_json(k)::text FROM stream_keys k WHERE stream_id = $1::uuid",
        "SELECT row_to_json(s)::text FROM streams s WHERE id = $1::uuid",
        "SELECT row_to_json(e)::text FROM stream_events e WHERE stream_id = $1::uuid"}) {
    for (const auto& row : f.query(sql, created.stream.id)) {
      INFO(sql);
      CHECK(row[0].as<std::string>().find(fragment) == std::string::npos);
    }
  }
}

TEST_CASE("find_by_key finds by the key and by nothing else") {
  Fixture f;
  const auto created = f.streams.create(std::nullopt, true);
  const auto match = f.streams.find_by_key(created.key);
  REQUIRE(match);
  CHECK(match->stream_id == created.stream.id);
  CHECK(match->status == StreamStatus::ready);
  CHECK(match->record);
  CHECK_FALSE(match->revoked);

  std::string wrong = created.key;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  CHECK_FALSE(f.streams.find_by_key(wrong));
  CHECK_FALSE(f.streams.find_by_key(looplive::core::generate_stream_key()));
  CHECK_FALSE(f.streams.find_by_key(""));
  CHECK_FALSE(f.streams.find_by_key(looplive::core::hash_stream_key(created.key)));
}

TEST_CASE("revoke_keys makes the key report revoked") {
  Fixture f;
  const auto created = f.streams.create(std::nullopt, false);
  const auto other = f.streams.create(std::nullopt, false);
  f.streams.revoke_keys(created.stream.id);
  const auto match = f.streams.find_by_key(created.key);
  REQUIRE(match);
  CHECK(match->revoked);
  CHECK(match->stream_id == created.stream.id);
  CHECK_FALSE(f.streams.find_by_key(other.key)->revoked);

  f.streams.revoke_keys(created.stream.id);  // again: nothing to do, no error
  CHECK(f.streams.find_by_key(created.key)->revoked);
  CHECK_THROWS_MATCHES(f.streams.revoke_keys("00000000-0000-4000-8000-000000000000"), Failure,
                       HasCode(ErrorCode::not_found));
  CHECK_THROWS_AS(f.streams.revoke_keys("not-a-uuid"), std::invalid_argument);
}

TEST_CASE("set_status records transitions and their timestamps") {
  Fixture f;
  const auto created = f.streams.create(std::nullopt, false);
  const std::string& id = created.stream.id;

  f.streams.set_status(id, StreamStatus::live, "publisher connected");
  auto stream = f.streams.find(id);
  REQUIRE(stream);
  CHECK(stream->status == StreamStatus::live);
  REQUIRE(stream->started_at);
  CHECK(std::regex_match(*stream->started_at, kTimestamp));
  CHECK(*stream->started_at >= stream->created_at);
  CHECK_FALSE(stream->ended_at);
  const std::string first_start = *stream->started_at;

  f.streams.set_status(id, StreamStatus::live, "duplicate");  // no transition
  f.streams.set_status(id, StreamStatus::reconnecting, "publisher lost");
  f.streams.set_status(id, StreamStatus::live, "publisher back");
  stream = f.streams.find(id);
  CHECK(stream->status == StreamStatus::live);
  CHECK(stream->started_at == first_start);  // the first start counts

  f.streams.set_status(id, StreamStatus::ended, "publisher closed");
  stream = f.streams.find(id);
  CHECK(stream->status == StreamStatus::ended);
  REQUIRE(stream->ended_at);
  CHECK(std::regex_match(*stream->ended_at, kTimestamp));
  CHECK(*stream->ended_at >= first_start);
  CHECK(f.streams.find_by_key(created.key)->status == StreamStatus::ended);

  const auto events = f.query(
      "SELECT coalesce(from_status, '-'), to_status, reason FROM stream_events"
      " WHERE stream_id = $1::uuid ORDER BY id",
      id);
  const std::vector<std::vector<std::string>> expected{
      {"-", "ready", "created"},
      {"ready", "live", "publisher connected"},
      {"live", "reconnecting", "publisher lost"},
      {"reconnecting", "live", "publisher back"},
      {"live", "ended", "publisher closed"},
  };
  REQUIRE(events.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    for (size_t column = 0; column < 3; ++column)
      CHECK(events[static_cast<int>(i)][static_cast<int>(column)].as<std::string>() ==
            expected[i][column]);
  }
  const auto at = f.query(
      "SELECT bool_and(e.at >= s.created_at) FROM stream_events e JOIN streams s"
      " ON s.id = e.stream_id WHERE s.id = $1::uuid",
      id);
  CHECK(at[0][0].as<bool>());

  CHECK_THROWS_MATCHES(f.streams.set_status(id, StreamStatus::live, "again"), Failure,
                       HasCode(ErrorCode::conflict));
  CHECK_NOTHROW(f.streams.set_status(id, StreamStatus::ended, "twice"));
  CHECK_THROWS_MATCHES(
      f.streams.set_status("00000000-0000-4000-8000-000000000000", StreamStatus::live, "x"),
      Failure, HasCode(ErrorCode::not_found));
  CHECK_THROWS_AS(f.streams.set_status("42", StreamStatus::live, "x"), std::invalid_argument);
}

TEST_CASE("a stream's owner holds it until it ends, then nobody does") {
  Fixture f;
  const std::string id = f.streams.create(std::nullopt, false).stream.id;
  const std::string other = f.streams.create(std::nullopt, false).stream.id;
  const auto owner_of = [&](const std::string& stream) {
    return f.query(
        "SELECT coalesce(owner, '-'), owner_until IS NULL FROM streams"
        " WHERE id = $1::uuid",
        stream);
  };
  REQUIRE(f.streams.claim(id, "host:1", std::chrono::seconds(15)));
  REQUIRE(f.streams.claim(other, "host:1", std::chrono::seconds(15)));
  f.streams.set_status(id, StreamStatus::live, "publisher connected");
  f.streams.set_status(other, StreamStatus::live, "publisher connected");
  CHECK(owner_of(id)[0][0].as<std::string>() == "host:1");
  CHECK_FALSE(owner_of(id)[0][1].as<bool>());
  // Another process cannot take it while the lease runs.
  CHECK_FALSE(f.streams.claim(id, "host:2", std::chrono::seconds(15)));

  f.streams.set_status(id, StreamStatus::ended, "ended by the API");
  CHECK(owner_of(id)[0][0].as<std::string>() == "-");
  CHECK(owner_of(id)[0][1].as<bool>());
  f.streams.renew("host:1", std::chrono::seconds(15));
  CHECK(owner_of(id)[0][0].as<std::string>() == "-");
  // The live one is still held.
  CHECK(owner_of(other)[0][0].as<std::string>() == "host:1");
  f.streams.set_status(other, StreamStatus::ended, "ended");
}

TEST_CASE("a publisher takes its stream only with a key not revoked since its lookup") {
  Fixture f;
  const auto lease = std::chrono::seconds(15);
  const auto created = f.streams.create(std::nullopt, false);
  const auto other = f.streams.create(std::nullopt, false);
  // Another stream's key takes nothing.
  CHECK_FALSE(f.streams.claim_with_key(created.stream.id, other.key, "holder:1", lease));
  REQUIRE(f.streams.claim_with_key(created.stream.id, created.key, "holder:1", lease));
  CHECK(f.streams.held_elsewhere(created.stream.id, "asker:1"));

  // The window this closes: a publisher looked its key up, then an end on
  // another server revoked it and found no holder to ask. The claim that
  // follows takes nothing, so nobody publishes into the stream that ends.
  REQUIRE_FALSE(f.streams.find_by_key(other.key)->revoked);
  f.streams.revoke_keys(other.stream.id);
  CHECK_FALSE(f.streams.ask_holder_to_end(other.stream.id, "asker:1", "ended by the API"));
  CHECK_FALSE(f.streams.claim_with_key(other.stream.id, other.key, "holder:1", lease));
  CHECK_FALSE(f.streams.held_elsewhere(other.stream.id, "asker:1"));

  // A rotation likewise: the old key takes nothing, the new one takes it.
  const auto rotated = f.streams.create(std::nullopt, false);
  const std::string new_key = f.streams.rotate_key(rotated.stream.id);
  CHECK_FALSE(f.streams.claim_with_key(rotated.stream.id, rotated.key, "holder:1", lease));
  CHECK(f.streams.claim_with_key(rotated.stream.id, new_key, "holder:1", lease));
  // The plain claim (adopting an orphan after a restart) needs no key.
  CHECK(f.streams.claim(other.stream.id, "holder:1", lease));
}

TEST_CASE("an end or a kick asked on another server reaches the holder once, and only it") {
  Fixture f;
  const std::string id = f.streams.create(std::nullopt, false).stream.id;
  const std::string idle = f.streams.create(std::nullopt, false).stream.id;
  const auto lease = std::chrono::seconds(15);
  // Nobody holds a stream not yet published: the asker acts itself.
  CHECK_FALSE(f.streams.ask_holder_to_end(idle, "asker:1", "ended by the API"));
  CHECK_FALSE(f.streams.ask_holder_to_kick(idle, "asker:1"));

  REQUIRE(f.streams.claim(id, "holder:1", lease));
  f.streams.set_status(id, StreamStatus::live, "publisher connected");
  CHECK(f.streams.held_elsewhere(id, "asker:1"));
  CHECK_FALSE(f.streams.held_elsewhere(id, "holder:1"));
  // The holder asks nothing of itself.
  CHECK_FALSE(f.streams.ask_holder_to_kick(id, "holder:1"));
  CHECK(f.streams.take_requests("holder:1").empty());

  REQUIRE(f.streams.ask_holder_to_kick(id, "asker:1"));
  CHECK(f.streams.take_requests("asker:1").empty());  // only the holder is asked
  auto asked = f.streams.take_requests("holder:1");
  REQUIRE(asked.size() == 1);
  CHECK(asked[0].stream_id == id);
  CHECK(asked[0].kick);
  CHECK_FALSE(asked[0].end_reason);
  CHECK(f.streams.take_requests("holder:1").empty());  // a kick is handed out once

  // A kick asked of a holder that has gone is not handed to the next one,
  // whose publisher came with the new key.
  REQUIRE(f.streams.ask_holder_to_kick(id, "asker:1"));
  f.query("UPDATE streams SET owner_until = now() - interval '1 second' WHERE id = $1::uuid", id);
  CHECK_FALSE(f.streams.held_elsewhere(id, "asker:1"));
  CHECK_FALSE(f.streams.ask_holder_to_end(id, "asker:1", "ended by the API"));
  REQUIRE(f.streams.claim(id, "holder:2", lease));
  CHECK(f.streams.take_requests("holder:2").empty());

  // An end is asked again until the stream has ended.
  REQUIRE(f.streams.ask_holder_to_end(id, "asker:1", "ended by the API"));
  for (int round = 0; round < 2; ++round) {
    asked = f.streams.take_requests("holder:2");
    REQUIRE(asked.size() == 1);
    CHECK(asked[0].end_reason == std::optional<std::string>("ended by the API"));
    CHECK_FALSE(asked[0].kick);
  }
  f.streams.set_status(id, StreamStatus::ended, "ended by the API");
  CHECK(f.streams.take_requests("holder:2").empty());
  CHECK_FALSE(f.streams.held_elsewhere(id, "asker:1"));
  const auto row = f.query(
      "SELECT end_requested IS NULL AND kick_asked_of IS NULL FROM streams"
      " WHERE id = $1::uuid",
      id);
  CHECK(row[0][0].as<bool>());
}

TEST_CASE("a tag asked of the holder reaches only it, and its answer the asker once") {
  Fixture f;
  looplive::db::TagRepository tags(f.database);
  const auto lease = std::chrono::seconds(15);
  const std::string id = f.streams.create(std::nullopt, false).stream.id;
  const std::string body = R"({"productId": "sku-1", "action": "show"})";
  // Nobody else holds it: nothing is asked, the asker answers itself.
  CHECK_FALSE(tags.ask_holder(id, "asker:1", body));
  REQUIRE(f.streams.claim(id, "holder:1", lease));
  f.streams.set_status(id, StreamStatus::live, "publisher connected");
  CHECK_FALSE(tags.ask_holder(id, "holder:1", body));

  // Every process listens: the holder hears it was asked, the asker that it was answered.
  std::mutex heard_mutex;
  std::condition_variable heard_changed;
  std::vector<std::string> heard;
  const auto listener = f.database.listen(looplive::db::kTagChannel, [&](const std::string& text) {
    std::lock_guard lock(heard_mutex);
    heard.push_back(text);
    heard_changed.notify_all();
  });
  const auto hears = [&](const std::string& text, std::chrono::milliseconds within) {
    std::unique_lock lock(heard_mutex);
    return heard_changed.wait_for(
        lock, within, [&] { return std::find(heard.begin(), heard.end(), text) != heard.end(); });
  };
  // The listener's connection opens on its own thread: notify until it hears.
  for (int i = 0; i < 50 && !hears("probe", std::chrono::milliseconds(200)); ++i)
    f.query("SELECT pg_notify('looplive_tags', 'probe'), $1::text", id);
  REQUIRE(hears("probe", std::chrono::milliseconds(0)));
  const auto asked = tags.ask_holder(id, "asker:1", body);
  REQUIRE(asked);
  REQUIRE(hears("asked holder:1", std::chrono::seconds(10)));
  CHECK(tags.take_asked("asker:1").empty());
  const auto open = tags.take_asked("holder:1");
  REQUIRE(open.size() == 1);
  CHECK(open[0].id == *asked);
  CHECK(open[0].stream_id == id);
  CHECK(open[0].body_json.find(R"("productId": "sku-1")") != std::string::npos);
  CHECK(tags.take_asked("holder:1").empty());  // taken once
  CHECK_FALSE(tags.take_answer(*asked));       // not answered yet
  CHECK_FALSE(tags.withdraw(*asked));          // taken: the holder is acting on it

  tags.answer(*asked, {201, R"({"id": "7"})"});
  CHECK(hears("answered " + std::to_string(*asked), std::chrono::seconds(10)));
  const auto answer = tags.take_answer(*asked);
  REQUIRE(answer);
  CHECK(answer->status == 201);
  CHECK(answer->body_json == R"({"id": "7"})");
  CHECK_FALSE(tags.take_answer(*asked));  // answered once

  // One withdrawn before the holder took it is never seen by the holder.
  const auto withdrawn = tags.ask_holder(id, "asker:1", body);
  REQUIRE(withdrawn);
  CHECK(tags.withdraw(*withdrawn));
  CHECK(tags.take_asked("holder:1").empty());
  // Nor is one on a stream that ended meanwhile.
  REQUIRE(tags.ask_holder(id, "asker:1", body));
  f.streams.set_status(id, StreamStatus::ended, "ended");
  CHECK(tags.take_asked("holder:1").empty());
}

TEST_CASE("tags stored together keep their order and every byte, or none is stored") {
  Fixture f;
  looplive::db::TagRepository tags(f.database);
  const std::string first = f.streams.create(std::nullopt, false).stream.id;
  const std::string second = f.streams.create(std::nullopt, false).stream.id;
  std::vector<looplive::db::NewTag> batch(3);
  batch[0] = {first,
              "sku-1",
              "show",
              R"({"name": "a \"quoted\" \\ name", "tag": "{x,y}"})",
              0.25,
              std::nullopt,
              5000,
              1200,
              1'765'000'001'200};
  batch[1] = {second,           "sku-2", "update",     R"({"name": "caf\u00e9 NULL"})",
              std::nullopt,     1.0,     std::nullopt, 900,
              1'765'000'000'900};
  batch[2] = {first,        "sku-1", "hide",           "{}", std::nullopt, std::nullopt,
              std::nullopt, 1200,    1'765'000'001'200};
  const auto stored = tags.insert_all(batch);
  REQUIRE(stored.size() == 3);
  CHECK(stored[0].id < stored[1].id);
  CHECK(stored[1].id < stored[2].id);
  for (size_t i = 0; i < 3; ++i) {
    INFO(i);
    const auto found = tags.find(batch[i].stream_id, stored[i].id);
    REQUIRE(found);
    CHECK(found->tag.product_id == batch[i].product_id);
    CHECK(found->tag.action == batch[i].action);
    CHECK(found->tag.x == batch[i].x);
    CHECK(found->tag.y == batch[i].y);
    CHECK(found->tag.duration_ms == batch[i].duration_ms);
    CHECK(found->tag.media_time_ms == batch[i].media_time_ms);
    CHECK(found->tag.wall_clock_ms == batch[i].wall_clock_ms);
  }
  // jsonb gives its own spacing; the values come back as posted.
  CHECK(tags.find(first, stored[0].id)->tag.payload_json ==
        R"({"tag": "{x,y}", "name": "a \"quoted\" \\ name"})");
  CHECK(tags.find(second, stored[1].id)->tag.payload_json == R"({"name": "café NULL"})");
  CHECK(tags.count(first) == 2);

  // A stream that does not exist fails the whole statement: nothing is stored.
  batch[1].stream_id = "00000000-0000-4000-8000-000000000000";
  try {
    tags.insert_all(batch);
    FAIL("a tag on no stream was stored");
  } catch (const Failure& error) {
    CHECK(error.code() == ErrorCode::not_found);
  }
  CHECK(tags.count(first) == 2);
  CHECK(tags.insert_all({}).empty());
}

TEST_CASE("create accepts an explicit id and refuses a taken one") {
  Fixture f;
  const std::string id = "6f1c2f1e-8a1b-4c55-9d2e-3b7a0c9e5d41";
  {
    pqxx::work cleanup(f.direct);
    cleanup.exec_params("DELETE FROM streams WHERE id = $1::uuid", id);
    cleanup.exec("DELETE FROM streams WHERE id = '6f1c2f1e-8a1b-4c55-9d2e-3b7a0c9e5d4a'");
    cleanup.commit();
  }
  const auto created = f.streams.create(id, true);
  CHECK(created.stream.id == id);
  CHECK(f.streams.find_by_key(created.key)->stream_id == id);

  try {
    f.streams.create(id, false);
    FAIL("a duplicate id was accepted");
  } catch (const Failure& error) {
    CHECK(error.code() == ErrorCode::already_exists);
    CHECK(std::string(error.what()) == "A stream with id " + id + " already exists.");
  }
  // The refused attempt left no key behind.
  CHECK(
      f.query("SELECT count(*) FROM stream_keys WHERE stream_id = $1::uuid", id)[0][0].as<int>() ==
      1);

  CHECK(f.streams.create("6F1C2F1E-8A1B-4C55-9D2E-3B7A0C9E5D4A", false).stream.id ==
        "6f1c2f1e-8a1b-4c55-9d2e-3b7a0c9e5d4a");
  CHECK_THROWS_AS(f.streams.create("not-a-uuid", false), std::invalid_argument);
  CHECK_THROWS_AS(f.streams.create("6f1c2f1e8a1b4c559d2e3b7a0c9e5d41", false),
                  std::invalid_argument);
  CHECK_THROWS_AS(f.streams.create("6f1c2f1e-8a1b-4c55-9d2e-3b7a0c9e5d4z", false),
                  std::invalid_argument);
  CHECK_THROWS_AS(f.streams.create(std::nullopt, false, "{not json"), std::invalid_argument);
  CHECK_THROWS_AS(f.streams.create(std::nullopt, false, "[1, 2]"), std::invalid_argument);
}

TEST_CASE("find reports nothing for unknown and malformed ids") {
  Fixture f;
  CHECK_FALSE(f.streams.find("00000000-0000-4000-8000-000000000000"));
  CHECK_FALSE(f.streams.find("nope"));
  CHECK_FALSE(f.streams.find(""));
}
