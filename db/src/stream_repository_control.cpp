// The stream repository's calls for the control API and the stream lifecycle.
#include "connection_pool.hpp"
#include "looplive/core/stream_key.hpp"
#include "looplive/db/stream_repository.hpp"
#include "outbox.hpp"
#include "stream_rows.hpp"

namespace looplive::db {

namespace {

StreamRecord select_stream(pqxx::work& txn, const std::string& id) {
  return read_stream(
      txn.exec_params1("SELECT " + stream_columns() + " FROM streams WHERE id = $1::uuid", id));
}

void revoke_in(pqxx::work& txn, const std::string& id) {
  txn.exec_params(
      "UPDATE stream_keys SET revoked_at = now() WHERE stream_id = $1::uuid AND revoked_at IS NULL",
      id);
}

}  // namespace

bool StreamRepository::transition(const std::string& id, StreamStatus status,
                                  const std::string& reason, const EventBuilder& events) {
  require_uuid(id);
  return database_.pool().run([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    if (!apply_transition(txn, id, status, reason)) return false;
    if (events) insert_deliveries(txn, events(select_stream(txn, id)));
    txn.commit();
    return true;
  });
}

std::string StreamRepository::rotate_key(const std::string& stream_id) {
  require_uuid(stream_id);
  return database_.pool().run([&](pqxx::connection& connection) {
    std::string key = core::generate_stream_key();
    pqxx::work txn(connection);
    const auto rows =
        txn.exec_params("SELECT status FROM streams WHERE id = $1::uuid FOR UPDATE", stream_id);
    if (rows.empty())
      throw core::Failure(core::ErrorCode::not_found, "no stream with id " + stream_id);
    if (rows[0][0].as<std::string>() == status_name(StreamStatus::ended))
      throw core::Failure(core::ErrorCode::conflict,
                          "stream " + stream_id + " has ended; its key cannot be rotated");
    revoke_in(txn, stream_id);
    insert_key(txn, stream_id, key);
    txn.commit();
    return key;
  });
}

StreamRecord StreamRepository::end(const std::string& id, const std::string& reason,
                                   const EndSummary& summary, const EventBuilder& events) {
  require_uuid(id);
  return database_.pool().run([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    const auto rows = txn.exec_params(
        "SELECT finalized_at IS NOT NULL FROM streams WHERE id = $1::uuid FOR UPDATE", id);
    if (rows.empty()) throw core::Failure(core::ErrorCode::not_found, "no stream with id " + id);
    if (rows[0][0].as<bool>()) return select_stream(txn, id);
    revoke_in(txn, id);
    apply_transition(txn, id, StreamStatus::ended, reason);
    // Without a media duration, the time between going live and ending stands in.
    txn.exec_params(
        "UPDATE streams SET finalized_at = now(), updated_at = now(),"
        " duration_seconds = coalesce($2, extract(epoch FROM coalesce(ended_at, now())"
        "   - coalesce(started_at, ended_at, now()))::double precision),"
        " peak_viewers = $3, unique_viewers = $4, average_watch_seconds = $5, vod_path = $6,"
        " recording_error = $7 WHERE id = $1::uuid",
        id, summary.duration_seconds, static_cast<int64_t>(summary.peak_viewers),
        static_cast<int64_t>(summary.unique_viewers), summary.average_watch_seconds,
        summary.vod_path, summary.recording_error);
    StreamRecord ended = select_stream(txn, id);
    if (events) insert_deliveries(txn, events(ended));
    txn.commit();
    return ended;
  });
}

bool StreamRepository::remove(const std::string& id) {
  if (!is_uuid(id)) return false;
  return database_.pool().run([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    const auto result = txn.exec_params("DELETE FROM streams WHERE id = $1::uuid", id);
    txn.commit();
    return result.affected_rows() > 0;
  });
}

std::vector<StreamRecord> StreamRepository::list(const ListQuery& query) {
  const bool after = query.after_created_at && query.after_id;
  if (after) require_uuid(*query.after_id);
  std::optional<std::string> status;
  if (query.status) status = std::string(status_name(*query.status));
  return database_.pool().run([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    // Unnamed statements are planned with their parameters' values, so the
    // NULL tests fold away and each shape still uses its index.
    const auto rows = txn.exec_params(
        "SELECT " + stream_columns() +
            " FROM streams WHERE ($1::text IS NULL OR status = $1::text)"
            " AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))"
            " ORDER BY created_at DESC, id DESC LIMIT $4",
        status, after ? query.after_created_at : std::nullopt,
        after ? query.after_id : std::nullopt, static_cast<int64_t>(query.limit));
    std::vector<StreamRecord> out;
    for (const auto& row : rows) out.push_back(read_stream(row));
    return out;
  });
}

std::vector<StreamRecord> StreamRepository::unfinished() {
  return database_.pool().run([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    const auto rows = txn.exec("SELECT " + stream_columns() +
                               " FROM streams WHERE status IN ('live', 'reconnecting')"
                               " ORDER BY created_at");
    std::vector<StreamRecord> out;
    for (const auto& row : rows) out.push_back(read_stream(row));
    return out;
  });
}

bool StreamRepository::claim(const std::string& id, const std::string& owner,
                             std::chrono::milliseconds lease) {
  return take(id, owner, lease, std::nullopt);
}

bool StreamRepository::claim_with_key(const std::string& id, std::string_view key,
                                      const std::string& owner, std::chrono::milliseconds lease) {
  return take(id, owner, lease, core::hash_stream_key(key));
}

bool StreamRepository::take(const std::string& id, const std::string& owner,
                            std::chrono::milliseconds lease,
                            const std::optional<std::string>& key_hash) {
  return database_.pool().run([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    // Two claimants of one row queue on its lock; the second then sees the
    // first one's lease and takes nothing. A revocation committed before this
    // statement began is seen; one committed after it finds this owner on the
    // row when it asks for the holder.
    const auto result = txn.exec_params(
        "UPDATE streams SET owner = $2, owner_until = now() + $3 * interval '1 millisecond'"
        " WHERE id = $1::uuid AND status <> 'ended'"
        " AND (owner IS NULL OR owner = $2 OR owner_until < now())"
        " AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM stream_keys k WHERE"
        "   k.stream_id = streams.id AND k.key_hash = $4 AND k.revoked_at IS NULL))",
        id, owner, static_cast<int64_t>(lease.count()), key_hash);
    txn.commit();
    return result.affected_rows() == 1;
  });
}

void StreamRepository::renew(const std::string& owner, std::chrono::milliseconds lease) {
  database_.pool().run([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    txn.exec_params(
        "UPDATE streams SET owner_until = now() + $2 * interval '1 millisecond'"
        " WHERE owner = $1 AND status IN ('live', 'reconnecting')",
        owner, static_cast<int64_t>(lease.count()));
    txn.commit();
  });
}

void StreamRepository::release(const std::string& owner) {
  database_.pool().run([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    txn.exec_params("UPDATE streams SET owner = NULL, owner_until = NULL WHERE owner = $1", owner);
    txn.commit();
  });
}

bool StreamRepository::ask_holder_to_end(const std::string& id, const std::string& asker,
                                         const std::string& reason) {
  return ask_holder(id, asker, reason, false);
}

bool StreamRepository::ask_holder_to_kick(const std::string& id, const std::string& asker) {
  return ask_holder(id, asker, std::nullopt, true);
}

bool StreamRepository::ask_holder(const std::string& id, const std::string& asker,
                                  const std::optional<std::string>& end_reason, bool kick) {
  require_uuid(id);
  return database_.pool().run([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    const auto result = txn.exec_params(
        std::string("UPDATE streams SET end_requested = coalesce($3, end_requested),"
                    " kick_asked_of = CASE WHEN $4 THEN owner ELSE kick_asked_of END"
                    " WHERE id = $1::uuid AND ") +
            kHeldElsewhere,
        id, asker, end_reason, kick);
    txn.commit();
    return result.affected_rows() == 1;
  });
}

bool StreamRepository::held_elsewhere(const std::string& id, const std::string& asker) {
  require_uuid(id);
  return database_.pool().run([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    return !txn.exec_params(
                   std::string("SELECT 1 FROM streams WHERE id = $1::uuid AND ") + kHeldElsewhere,
                   id, asker)
                .empty();
  });
}

std::vector<HolderRequest> StreamRepository::take_requests(const std::string& owner) {
  return database_.pool().run([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    // Nothing asked (the usual answer) is one look at streams_owner_idx and no write.
    const auto rows = txn.exec_params(
        "SELECT id::text, end_requested, kick_asked_of = $1 FROM streams"
        " WHERE owner = $1 AND status <> 'ended'"
        " AND (end_requested IS NOT NULL OR kick_asked_of = $1) FOR UPDATE",
        owner);
    std::vector<HolderRequest> requests;
    for (const auto& row : rows) {
      HolderRequest request{row[0].as<std::string>(), std::nullopt, row[2].as<bool>(false)};
      if (!row[1].is_null()) request.end_reason = row[1].as<std::string>();
      if (request.kick)
        txn.exec_params("UPDATE streams SET kick_asked_of = NULL WHERE id = $1::uuid",
                        request.stream_id);
      requests.push_back(std::move(request));
    }
    txn.commit();
    return requests;
  });
}

std::vector<StreamRecord> StreamRepository::orphaned(const std::string& owner) {
  return database_.pool().run([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    const auto rows = txn.exec_params(
        "SELECT " + stream_columns() +
            " FROM streams WHERE status IN ('live', 'reconnecting')"
            " AND (owner IS NULL OR (owner <> $1 AND owner_until < now())) ORDER BY created_at",
        owner);
    std::vector<StreamRecord> out;
    for (const auto& row : rows) out.push_back(read_stream(row));
    return out;
  });
}

std::vector<std::string> StreamRepository::ended_before(std::chrono::seconds age, size_t limit) {
  return database_.pool().run([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    const auto rows = txn.exec_params(
        "SELECT id::text FROM streams WHERE status = 'ended'"
        " AND finalized_at < now() - $1 * interval '1 second' ORDER BY finalized_at LIMIT $2",
        static_cast<int64_t>(age.count()), static_cast<int64_t>(limit));
    std::vector<std::string> out;
    for (const auto& row : rows) out.push_back(row[0].as<std::string>());
    return out;
  });
}

std::map<StreamStatus, uint64_t> StreamRepository::count_by_status() {
  return database_.pool().run([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    std::map<StreamStatus, uint64_t> out;
    for (auto status :
         {StreamStatus::ready, StreamStatus::live, StreamStatus::reconnecting, StreamStatus::ended})
      out[status] = 0;
    for (const auto& row : txn.exec("SELECT status, count(*) FROM streams GROUP BY status")) {
      if (auto status = parse_status(row[0].as<std::string>()))
        out[*status] = row[1].as<uint64_t>();
    }
    return out;
  });
}

}  // namespace looplive::db
