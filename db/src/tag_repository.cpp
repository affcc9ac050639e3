#include "looplive/db/tag_repository.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "connection_pool.hpp"
#include "looplive/core/error.hpp"
#include "stream_rows.hpp"

namespace looplive::db {
namespace {

const std::string kColumns =
    "id, stream_id::text, product_id, action, payload::text, x, y, duration_ms, media_time_ms,"
    " wall_clock_ms, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";

const std::string kInsertStatement = "looplive_insert_tag";
const std::string kInsertSql =
    "INSERT INTO stream_tags (stream_id, product_id, action, payload, x, y, duration_ms,"
    " media_time_ms, wall_clock_ms) VALUES ($1::uuid, $2, $3, $4::jsonb,"
    " nullif($5, '')::double precision, nullif($6, '')::double precision,"
    " nullif($7, '')::bigint, $8, $9) RETURNING " +
    kColumns;

// Many rows in one statement: each column an array, rows numbered so their
// ids (a sequence, taken in that order) follow the order given.
const std::string kInsertAllStatement = "looplive_insert_tags";
const std::string kInsertAllSql =
    "INSERT INTO stream_tags (stream_id, product_id, action, payload, x, y, duration_ms,"
    " media_time_ms, wall_clock_ms) SELECT s, p, a, j::jsonb, x, y, d, m, w FROM"
    " unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::double precision[],"
    " $6::double precision[], $7::bigint[], $8::bigint[], $9::bigint[]) WITH ORDINALITY"
    " AS row(s, p, a, j, x, y, d, m, w, n) ORDER BY n RETURNING " +
    kColumns;

// An array literal of these elements, each quoted (NULL for none).
template <typename T, typename Text>
std::string array_literal(const std::vector<T>& items, Text text_of) {
  std::string out = "{";
  for (const T& item : items) {
    if (out.size() > 1) out += ',';
    const std::optional<std::string> text = text_of(item);
    if (!text) {
      out += "NULL";
      continue;
    }
    out += '"';
    for (char c : *text) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + '}';
}

// Optional numbers travel as text, empty for NULL.
std::string optional_text(const std::optional<double>& value) {
  if (!value) return {};
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", *value);
  return text;
}

std::string optional_text(const std::optional<int64_t>& value) {
  return value ? std::to_string(*value) : std::string();
}

TagRecord read_tag(const pqxx::row& row) {
  TagRecord record;
  record.id = row[0].as<uint64_t>();
  NewTag& tag = record.tag;
  tag.stream_id = row[1].as<std::string>();
  tag.product_id = row[2].as<std::string>();
  tag.action = row[3].as<std::string>();
  tag.payload_json = row[4].as<std::string>();
  if (!row[5].is_null()) tag.x = row[5].as<double>();
  if (!row[6].is_null()) tag.y = row[6].as<double>();
  if (!row[7].is_null()) tag.duration_ms = row[7].as<int64_t>();
  tag.media_time_ms = row[8].as<int64_t>();
  tag.wall_clock_ms = row[9].as<int64_t>();
  record.created_at = row[10].as<std::string>();
  return record;
}

}  // namespace

TagRecord TagRepository::insert(const NewTag& tag) {
  require_uuid(tag.stream_id);
  return database_.pool().run([&](pqxx::connection& connection) {
    // One statement, one round trip: no transaction around it. Prepared once
    // per connection (at its first use; later calls only look the name up),
    // so PostgreSQL does not parse and plan it for every tag.
    connection.prepare(kInsertStatement, kInsertSql);
    pqxx::nontransaction txn(connection);
    try {
      const auto rows =
          txn.exec_prepared(kInsertStatement, tag.stream_id, tag.product_id, tag.action,
                            tag.payload_json, optional_text(tag.x), optional_text(tag.y),
                            optional_text(tag.duration_ms), tag.media_time_ms, tag.wall_clock_ms);
      return read_tag(rows.at(0));
    } catch (const pqxx::foreign_key_violation&) {
      throw core::Failure(core::ErrorCode::not_found, "no stream with id " + tag.stream_id);
    } catch (const pqxx::check_violation& error) {
      throw std::invalid_argument("the tag breaks a rule of the table: " +
                                  std::string(error.what()));
    }
  });
}

std::vector<TagRecord> TagRepository::insert_all(const std::vector<NewTag>& tags) {
  if (tags.empty()) return {};
  for (const NewTag& tag : tags) require_uuid(tag.stream_id);
  using Text = std::optional<std::string>;
  const auto column = [&](auto text_of) { return array_literal(tags, text_of); };
  const auto number = [](const auto& value) -> Text {
    const std::string text = optional_text(value);
    return text.empty() ? Text() : Text(text);
  };
  const std::string streams = column([](const NewTag& t) -> Text { return t.stream_id; });
  const std::string products = column([](const NewTag& t) -> Text { return t.product_id; });
  const std::string actions = column([](const NewTag& t) -> Text { return t.action; });
  const std::string payloads = column([](const NewTag& t) -> Text { return t.payload_json; });
  const std::string xs = column([&](const NewTag& t) { return number(t.x); });
  const std::string ys = column([&](const NewTag& t) { return number(t.y); });
  const std::string durations = column([&](const NewTag& t) { return number(t.duration_ms); });
  const std::string media_times =
      column([](const NewTag& t) -> Text { return std::to_string(t.media_time_ms); });
  const std::string wall_clocks =
      column([](const NewTag& t) -> Text { return std::to_string(t.wall_clock_ms); });
  return database_.pool().run([&](pqxx::connection& connection) {
    connection.prepare(kInsertAllStatement, kInsertAllSql);
    pqxx::nontransaction txn(connection);
    try {
      const auto rows = txn.exec_prepared(kInsertAllStatement, streams, products, actions, payloads,
                                          xs, ys, durations, media_times, wall_clocks);
      std::vector<TagRecord> records;
      records.reserve(rows.size());
      for (const auto& row : rows) records.push_back(read_tag(row));
      std::sort(records.begin(), records.end(),
                [](const TagRecord& a, const TagRecord& b) { return a.id < b.id; });
      if (records.size() != tags.size())
        throw std::runtime_error("the database stored " + std::to_string(records.size()) + " of " +
                                 std::to_string(tags.size()) + " tags");
      return records;
    } catch (const pqxx::foreign_key_violation&) {
      throw core::Failure(core::ErrorCode::not_found, "a tag's stream does not exist");
    } catch (const pqxx::check_violation& error) {
      throw std::invalid_argument("a tag breaks a rule of the table: " + std::string(error.what()));
    }
  });
}

std::vector<TagRecord> TagRepository::list(const std::string& stream_id,
                                           std::optional<TagPosition> after, size_t limit) {
  require_uuid(stream_id);
  return database_.pool().run([&](pqxx::connection& connection) {
    pqxx::read_transaction txn(connection);
    const auto rows = txn.exec_params(
        "SELECT " + kColumns +
            " FROM stream_tags WHERE stream_id = $1::uuid AND (NOT $2 OR (media_time_ms, id) > "
            "($3, $4)) ORDER BY media_time_ms, id LIMIT $5",
        stream_id, after.has_value(), after ? after->media_time_ms : 0,
        after ? static_cast<int64_t>(after->id) : 0, static_cast<int64_t>(limit));
    std::vector<TagRecord> tags;
    tags.reserve(rows.size());
    for (const auto& row : rows) tags.push_back(read_tag(row));
    return tags;
  });
}

std::optional<TagRecord> TagRepository::find(const std::string& stream_id, uint64_t tag_id) {
  require_uuid(stream_id);
  return database_.pool().run([&](pqxx::connection& connection) -> std::optional<TagRecord> {
    pqxx::read_transaction txn(connection);
    const auto rows = txn.exec_params(
        "SELECT " + kColumns + " FROM stream_tags WHERE stream_id = $1::uuid AND id = $2",
        stream_id, static_cast<int64_t>(tag_id));
    if (rows.empty()) return std::nullopt;
    return read_tag(rows[0]);
  });
}

bool TagRepository::remove(const std::string& stream_id, uint64_t tag_id) {
  require_uuid(stream_id);
  return database_.pool().run([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    const auto result =
        txn.exec_params("DELETE FROM stream_tags WHERE stream_id = $1::uuid AND id = $2", stream_id,
                        static_cast<int64_t>(tag_id));
    txn.commit();
    return result.affected_rows() > 0;
  });
}

std::vector<TagChapter> TagRepository::chapters(const std::string& stream_id, size_t limit) {
  require_uuid(stream_id);
  const auto rows = database_.pool().run([&](pqxx::connection& connection) {
    pqxx::read_transaction txn(connection);
    // Each show or update lasts until its duration or the product's next tag.
    return txn.exec_params(
        "SELECT product_id, start_ms, CASE WHEN duration_ms IS NULL THEN next_ms"
        " WHEN next_ms IS NULL THEN start_ms + duration_ms"
        " ELSE least(start_ms + duration_ms, next_ms) END"
        " FROM (SELECT product_id, action, media_time_ms AS start_ms, duration_ms,"
        "   lead(media_time_ms) OVER (PARTITION BY product_id ORDER BY media_time_ms, id) AS "
        "next_ms"
        "   FROM stream_tags WHERE stream_id = $1::uuid) AS t"
        " WHERE action <> 'hide' ORDER BY product_id, start_ms",
        stream_id);
  });
  std::vector<TagChapter> chapters;
  for (const auto& row : rows) {
    TagChapter piece{row[0].as<std::string>(), row[1].as<int64_t>(), std::nullopt};
    if (!row[2].is_null()) piece.end_ms = row[2].as<int64_t>();
    // An update right where the product's card already is extends its chapter.
    if (!chapters.empty() && chapters.back().product_id == piece.product_id &&
        chapters.back().end_ms == piece.start_ms) {
      chapters.back().end_ms = piece.end_ms;
      continue;
    }
    chapters.push_back(std::move(piece));
  }
  std::stable_sort(chapters.begin(), chapters.end(), [](const TagChapter& a, const TagChapter& b) {
    return a.start_ms < b.start_ms;
  });
  if (chapters.size() > limit) chapters.resize(limit);
  return chapters;
}

uint64_t TagRepository::count(const std::string& stream_id) {
  require_uuid(stream_id);
  return database_.pool().run([&](pqxx::connection& connection) {
    pqxx::read_transaction txn(connection);
    return txn
        .exec_params1("SELECT count(*) FROM stream_tags WHERE stream_id = $1::uuid", stream_id)[0]
        .as<uint64_t>();
  });
}

}  // namespace looplive::db
