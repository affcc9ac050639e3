#include "looplive/db/stream_repository.hpp"

#include <cctype>
#include <stdexcept>

#include "connection_pool.hpp"
#include "looplive/core/stream_key.hpp"
#include "stream_rows.hpp"

namespace looplive::db {

namespace {

constexpr size_t kKeyPrefixLength = 6;

StreamStatus status_from_column(const pqxx::field& field) {
  const auto name = field.as<std::string>();
  if (auto status = parse_status(name)) return *status;
  throw std::runtime_error("database holds an unknown stream status \"" + name + "\"");
}

// The ladder column: NULL, 'off', 'auto', 'compatible' or rungs such as
// '480p@1200k,360p@600k'.
std::optional<std::string> ladder_column(const std::optional<core::LadderChoice>& ladder) {
  if (!ladder) return std::nullopt;
  if (const auto mode = core::ladder_mode_text(*ladder)) return std::string(*mode);
  std::string text;
  for (const core::Rung& rung : ladder->rungs)
    text += (text.empty() ? "" : ",") + core::rung_text(rung);
  return text;
}

std::optional<core::LadderChoice> read_ladder(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  const std::string text = field.as<std::string>();
  if (auto mode = core::parse_ladder_mode(text)) return mode;
  core::LadderChoice choice;
  choice.enabled = true;
  std::string_view rest = text;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    // Written by ladder_column only; a rung it cannot read is left out.
    if (auto rung = core::parse_rung(rest.substr(0, comma))) choice.rungs.push_back(*rung);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return choice;
}

std::optional<double> optional_number(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return field.as<double>();
}

}  // namespace

std::string iso_utc(std::string_view column) {
  return "to_char(" + std::string(column) +
         " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";
}

std::optional<std::string> optional_text(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return field.as<std::string>();
}

const std::string& stream_columns() {
  static const std::string columns =
      "id::text, status, record, metadata::text, " + iso_utc("created_at") + ", " +
      iso_utc("started_at") + ", " + iso_utc("ended_at") +
      ", finalized_at IS NOT NULL, duration_seconds, peak_viewers, unique_viewers,"
      " average_watch_seconds, vod_path, recording_error, ladder";
  return columns;
}

bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i])))
      return false;
  }
  return true;
}

void require_uuid(const std::string& id) {
  if (!is_uuid(id)) throw std::invalid_argument("stream id is not a UUID: \"" + id + "\"");
}

StreamRecord read_stream(const pqxx::row& row) {
  StreamRecord stream;
  stream.id = row[0].as<std::string>();
  stream.status = status_from_column(row[1]);
  stream.record = row[2].as<bool>();
  stream.metadata_json = row[3].as<std::string>();
  stream.created_at = row[4].as<std::string>();
  stream.started_at = optional_text(row[5]);
  stream.ended_at = optional_text(row[6]);
  if (row[7].as<bool>()) {
    EndSummary summary;
    summary.duration_seconds = optional_number(row[8]);
    summary.peak_viewers = row[9].is_null() ? 0 : row[9].as<uint64_t>();
    summary.unique_viewers = row[10].is_null() ? 0 : row[10].as<uint64_t>();
    summary.average_watch_seconds = optional_number(row[11]);
    summary.vod_path = optional_text(row[12]);
    summary.recording_error = optional_text(row[13]);
    stream.summary = std::move(summary);
  }
  stream.ladder = read_ladder(row[14]);
  return stream;
}

void insert_key(pqxx::work& txn, const std::string& stream_id, const std::string& key) {
  txn.exec_params(
      "INSERT INTO stream_keys (key_hash, stream_id, key_prefix) VALUES ($1, $2::uuid, $3)",
      core::hash_stream_key(key), stream_id, key.substr(0, kKeyPrefixLength));
}

bool apply_transition(pqxx::work& txn, const std::string& id, StreamStatus status,
                      const std::string& reason) {
  const std::string to(status_name(status));
  // The row lock orders concurrent transitions, so each event's from_status is true.
  const auto rows =
      txn.exec_params("SELECT status FROM streams WHERE id = $1::uuid FOR UPDATE", id);
  if (rows.empty()) throw core::Failure(core::ErrorCode::not_found, "no stream with id " + id);
  const auto from = rows[0][0].as<std::string>();
  if (from == to) return false;
  if (from == status_name(StreamStatus::ended))
    throw core::Failure(core::ErrorCode::conflict,
                        "stream " + id + " has ended and cannot become " + to);
  txn.exec_params(
      "UPDATE streams SET status = $2, updated_at = now(),"
      " started_at = CASE WHEN $2 = 'live' THEN coalesce(started_at, now()) ELSE started_at END,"
      " ended_at = CASE WHEN $2 = 'ended' THEN now() ELSE ended_at END,"
      // Nobody holds an ended stream; the owner index keeps only held ones.
      " owner = CASE WHEN $2 = 'ended' THEN NULL ELSE owner END,"
      " owner_until = CASE WHEN $2 = 'ended' THEN NULL ELSE owner_until END,"
      " end_requested = CASE WHEN $2 = 'ended' THEN NULL ELSE end_requested END,"
      " kick_asked_of = CASE WHEN $2 = 'ended' THEN NULL ELSE kick_asked_of END"
      " WHERE id = $1::uuid",
      id, to);
  txn.exec_params(
      "INSERT INTO stream_events (stream_id, from_status, to_status, reason)"
      " VALUES ($1::uuid, $2, $3, $4)",
      id, from, to, reason);
  return true;
}

std::string_view status_name(StreamStatus status) {
  switch (status) {
    case StreamStatus::ready:
      return "ready";
    case StreamStatus::live:
      return "live";
    case StreamStatus::reconnecting:
      return "reconnecting";
    case StreamStatus::ended:
      return "ended";
  }
  return "unknown";
}

std::optional<StreamStatus> parse_status(std::string_view name) {
  for (auto status :
       {StreamStatus::ready, StreamStatus::live, StreamStatus::reconnecting, StreamStatus::ended}) {
    if (status_name(status) == name) return status;
  }
  return std::nullopt;
}

CreatedStream StreamRepository::create(const std::optional<std::string>& id, bool record,
                                       const std::string& metadata_json,
                                       const std::optional<core::LadderChoice>& ladder) {
  const std::string wanted_id = id.value_or("");
  if (!wanted_id.empty()) require_uuid(wanted_id);
  return database_.pool().run([&](pqxx::connection& connection) {
    // A fresh key per attempt: the pool may run this twice, and a key is only
    // worth anything once its row is committed.
    CreatedStream created;
    created.key = core::generate_stream_key();
    pqxx::work txn(connection);
    try {
      created.stream = read_stream(txn.exec_params1(
          "INSERT INTO streams (id, record, metadata, ladder)"
          " VALUES (coalesce(nullif($1, '')::uuid, gen_random_uuid()), $2, $3::jsonb, $4)"
          " RETURNING " +
              stream_columns(),
          wanted_id, record, metadata_json, ladder_column(ladder)));
    } catch (const pqxx::unique_violation&) {
      throw core::Failure(core::ErrorCode::already_exists,
                          "A stream with id " + wanted_id + " already exists.");
    } catch (const pqxx::check_violation&) {
      throw std::invalid_argument("stream metadata must be a JSON object");
    } catch (const pqxx::data_exception& error) {
      throw std::invalid_argument("stream metadata is not valid JSON: " +
                                  std::string(error.what()));
    }
    insert_key(txn, created.stream.id, created.key);
    txn.exec_params(
        "INSERT INTO stream_events (stream_id, from_status, to_status, reason)"
        " VALUES ($1::uuid, NULL, $2, 'created')",
        created.stream.id, std::string(status_name(created.stream.status)));
    txn.commit();
    return created;
  });
}

std::optional<StreamRecord> StreamRepository::find(const std::string& id) {
  if (!is_uuid(id)) return std::nullopt;
  return database_.pool().run([&](pqxx::connection& connection) -> std::optional<StreamRecord> {
    pqxx::work txn(connection);
    const auto rows =
        txn.exec_params("SELECT " + stream_columns() + " FROM streams WHERE id = $1::uuid", id);
    if (rows.empty()) return std::nullopt;
    return read_stream(rows[0]);
  });
}

StreamRecord StreamRepository::get(const std::string& id) {
  auto stream = find(id);
  if (!stream) throw core::Failure(core::ErrorCode::not_found, "no stream with id " + id);
  return std::move(*stream);
}

std::optional<KeyMatch> StreamRepository::find_by_key(std::string_view key) {
  const std::string key_hash = core::hash_stream_key(key);
  return database_.pool().run([&](pqxx::connection& connection) -> std::optional<KeyMatch> {
    pqxx::work txn(connection);
    const auto rows = txn.exec_params(
        "SELECT s.id::text, s.status, s.record, k.revoked_at IS NOT NULL, s.ladder"
        " FROM stream_keys k JOIN streams s ON s.id = k.stream_id"
        " WHERE k.key_hash = $1",
        key_hash);
    if (rows.empty()) return std::nullopt;
    KeyMatch match;
    match.stream_id = rows[0][0].as<std::string>();
    match.status = status_from_column(rows[0][1]);
    match.record = rows[0][2].as<bool>();
    match.revoked = rows[0][3].as<bool>();
    match.ladder = read_ladder(rows[0][4]);
    return match;
  });
}

void StreamRepository::set_status(const std::string& id, StreamStatus status,
                                  const std::string& reason) {
  require_uuid(id);
  database_.pool().run([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    if (apply_transition(txn, id, status, reason)) txn.commit();
  });
}

void StreamRepository::revoke_keys(const std::string& stream_id) {
  require_uuid(stream_id);
  database_.pool().run([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    if (txn.exec_params("SELECT 1 FROM streams WHERE id = $1::uuid", stream_id).empty())
      throw core::Failure(core::ErrorCode::not_found, "no stream with id " + stream_id);
    txn.exec_params(
        "UPDATE stream_keys SET revoked_at = now() WHERE stream_id = $1::uuid AND revoked_at IS "
        "NULL",
        stream_id);
    txn.commit();
  });
}

}  // namespace looplive::db
