#include "looplive/db/vod_job_repository.hpp"

#include <sstream>
#include <string_view>

#include "connection_pool.hpp"
#include "looplive/core/error.hpp"
#include "outbox.hpp"
#include "stream_rows.hpp"

namespace looplive::db {
namespace {

// Serialises the count-then-insert of a capped queue across every process
// sharing the database ("vodqueue" in ASCII).
constexpr std::string_view kQueueLock = "8534150257354044773";

const std::string& columns() {
  static const std::string text =
      "id::text, source, state, percent, rungs, poster_at_seconds, metadata::text, error,"
      " probe::text, outputs::text, attempts, " +
      iso_utc("created_at") + ", " + iso_utc("started_at") + ", " + iso_utc("finished_at");
  return text;
}

VodJobState state_from(const std::string& name) {
  for (auto state :
       {VodJobState::queued, VodJobState::running, VodJobState::ready, VodJobState::failed})
    if (vod_job_state_name(state) == name) return state;
  throw std::runtime_error("database holds an unknown VOD job state \"" + name + "\"");
}

// Rungs travel as one space-separated text: "720p@2800k 480p@1200k".
std::string rungs_text(const std::vector<std::string>& rungs) {
  std::string text;
  for (const auto& rung : rungs) text += (text.empty() ? "" : " ") + rung;
  return text;
}

std::vector<std::string> rungs_from(const pqxx::field& field) {
  std::vector<std::string> rungs;
  if (field.is_null()) return rungs;
  std::istringstream words(field.as<std::string>());
  for (std::string rung; words >> rung;) rungs.push_back(rung);
  return rungs;
}

VodJobRecord read_job(const pqxx::row& row) {
  VodJobRecord record;
  record.job.id = row[0].as<std::string>();
  record.job.source = row[1].as<std::string>();
  record.state = state_from(row[2].as<std::string>());
  record.percent = row[3].as<int>();
  record.job.rungs = rungs_from(row[4]);
  if (!row[5].is_null()) record.job.poster_at_seconds = row[5].as<double>();
  record.job.metadata_json = row[6].as<std::string>();
  record.error = optional_text(row[7]);
  record.probe_json = optional_text(row[8]);
  record.outputs_json = optional_text(row[9]);
  record.attempts = row[10].as<int>();
  record.created_at = row[11].as<std::string>();
  record.started_at = optional_text(row[12]);
  record.finished_at = optional_text(row[13]);
  return record;
}

std::string lease_text(std::chrono::milliseconds lease) {
  return std::to_string(lease.count()) + " milliseconds";
}

}  // namespace

std::string_view vod_job_state_name(VodJobState state) {
  switch (state) {
    case VodJobState::queued:
      return "queued";
    case VodJobState::running:
      return "running";
    case VodJobState::ready:
      return "ready";
    case VodJobState::failed:
      return "failed";
  }
  return "queued";
}

VodJobRecord VodJobRepository::insert(const NewVodJob& job, std::optional<VodQueueCaps> caps) {
  if (!job.id.empty()) require_uuid(job.id);
  const auto inserted = database_.pool().run([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    if (caps) {
      // One insert at a time counts the queue, so posts at once never overshoot it.
      txn.exec("SELECT pg_advisory_xact_lock(" + std::string(kQueueLock) + ")");
      const auto counts = txn.exec_params1(
          "SELECT count(*), count(*) FILTER (WHERE client = $1) FROM vod_jobs"
          " WHERE state = 'queued'",
          job.client);
      const auto queued = counts[0].as<int64_t>();
      const auto queued_by_client = counts[1].as<int64_t>();
      if (queued >= static_cast<int64_t>(caps->total))
        throw core::Failure(core::ErrorCode::full,
                            std::to_string(queued) +
                                " VOD jobs are waiting already (vod.max_queued); try again once "
                                "some have run.");
      if (!job.client.empty() && queued_by_client >= static_cast<int64_t>(caps->per_client))
        throw core::Failure(core::ErrorCode::full,
                            std::to_string(queued_by_client) +
                                " VOD jobs of this API token are waiting already "
                                "(vod.max_queued_per_client); try again once some have run.");
    }
    const std::string rungs = rungs_text(job.rungs);
    const std::string poster =
        job.poster_at_seconds ? std::to_string(*job.poster_at_seconds) : std::string();
    try {
      // The id is taken for good first (vod_job_ids), in the same statement.
      auto record = read_job(txn.exec_params1(
          "WITH taken AS (INSERT INTO vod_job_ids (id) VALUES"
          " (coalesce(nullif($1, '')::uuid, gen_random_uuid())) RETURNING id)"
          " INSERT INTO vod_jobs (id, source, rungs, poster_at_seconds, metadata, client)"
          " SELECT id, $2, nullif($3, ''), nullif($4, '')::double precision, $5::jsonb,"
          " nullif($6, '') FROM taken RETURNING " +
              columns(),
          job.id, job.source, rungs, poster, job.metadata_json, job.client));
      txn.commit();
      return std::optional(std::move(record));
    } catch (const pqxx::unique_violation&) {
      return std::optional<VodJobRecord>();
    }
  });
  if (inserted) return *inserted;
  throw core::Failure(core::ErrorCode::already_exists,
                      find(job.id) ? "A VOD job with id " + job.id + " exists already."
                                   : "Id " + job.id +
                                         " belonged to a VOD job that was removed; ids are never "
                                         "given again, since CDNs may still hold its files.");
}

std::optional<VodJobRecord> VodJobRepository::find(const std::string& id) {
  require_uuid(id);
  return database_.pool().run([&](pqxx::connection& connection) -> std::optional<VodJobRecord> {
    pqxx::read_transaction txn(connection);
    const auto rows =
        txn.exec_params("SELECT " + columns() + " FROM vod_jobs WHERE id = $1::uuid", id);
    if (rows.empty()) return std::nullopt;
    return read_job(rows[0]);
  });
}

std::vector<VodJobRecord> VodJobRepository::list(const std::optional<VodJobPosition>& after,
                                                 size_t limit) {
  if (after) require_uuid(after->id);
  return database_.pool().run([&](pqxx::connection& connection) {
    pqxx::read_transaction txn(connection);
    // By the position itself, so a page after a deleted job still follows on.
    const auto rows = txn.exec_params(
        "SELECT " + columns() +
            " FROM vod_jobs WHERE ($1::timestamptz IS NULL OR (created_at, id) <"
            " ($1::timestamptz, $2::uuid)) ORDER BY created_at DESC, id DESC LIMIT $3",
        after ? std::optional<std::string>(after->created_at) : std::nullopt,
        after ? std::optional<std::string>(after->id) : std::nullopt, static_cast<int64_t>(limit));
    std::vector<VodJobRecord> jobs;
    for (const auto& row : rows) jobs.push_back(read_job(row));
    return jobs;
  });
}

bool VodJobRepository::remove(const std::string& id) {
  require_uuid(id);
  return database_.pool().run([&](pqxx::connection& connection) {
    pqxx::nontransaction txn(connection);
    return txn.exec_params("DELETE FROM vod_jobs WHERE id = $1::uuid", id).affected_rows() > 0;
  });
}

std::vector<std::string> VodJobRepository::deleted_among(const std::vector<std::string>& names) {
  // A UUID needs no quoting in an array literal.
  std::string ids = "{";
  for (const std::string& name : names) {
    if (!is_uuid(name)) continue;
    if (ids.size() > 1) ids += ',';
    ids += name;
  }
  ids += '}';
  if (ids == "{}") return {};
  return database_.pool().run([&](pqxx::connection& connection) {
    pqxx::nontransaction txn(connection);
    std::vector<std::string> deleted;
    for (const auto& row :
         txn.exec_params("SELECT wanted.id::text FROM unnest($1::uuid[]) AS wanted(id)"
                         " WHERE NOT EXISTS (SELECT 1 FROM vod_jobs WHERE vod_jobs.id = wanted.id)",
                         ids))
      deleted.push_back(row[0].as<std::string>());
    return deleted;
  });
}

std::optional<VodJobRecord> VodJobRepository::claim_next(const std::string& owner,
                                                         std::chrono::milliseconds lease) {
  return database_.pool().run([&](pqxx::connection& connection) -> std::optional<VodJobRecord> {
    pqxx::work txn(connection);
    // SKIP LOCKED: processes sharing the database never wait on one another's claim.
    const auto rows = txn.exec_params(
        "UPDATE vod_jobs SET state = 'running', percent = 0, owner = $1,"
        " owner_until = now() + $2::interval, started_at = now(), attempts = attempts + 1,"
        " error = NULL WHERE id = (SELECT id FROM vod_jobs WHERE state = 'queued'"
        " ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING " +
            columns(),
        owner, lease_text(lease));
    txn.commit();
    if (rows.empty()) return std::nullopt;
    return read_job(rows[0]);
  });
}

bool VodJobRepository::progress(const std::string& id, const std::string& owner, int percent,
                                std::chrono::milliseconds lease) {
  return database_.pool().run([&](pqxx::connection& connection) {
    pqxx::nontransaction txn(connection);
    return txn.exec_params(
                  "UPDATE vod_jobs SET percent = $3, owner_until = now() + $4::interval"
                  " WHERE id = $1::uuid AND owner = $2 AND state = 'running'",
                  id, owner, percent, lease_text(lease))
               .affected_rows() > 0;
  });
}

void VodJobRepository::set_probe(const std::string& id, const std::string& owner,
                                 const std::string& probe_json) {
  database_.pool().run([&](pqxx::connection& connection) {
    pqxx::nontransaction txn(connection);
    txn.exec_params("UPDATE vod_jobs SET probe = $3::jsonb WHERE id = $1::uuid AND owner = $2", id,
                    owner, probe_json);
  });
}

bool VodJobRepository::finish(const std::string& id, const std::string& owner, VodJobState state,
                              const std::string& column, const std::string& value,
                              const VodJobEvents& events) {
  return database_.pool().run([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    const auto rows = txn.exec_params(
        "UPDATE vod_jobs SET state = $3, " + column +
            ", percent = CASE WHEN $3 = 'ready' THEN 100 ELSE percent END, owner = NULL,"
            " owner_until = NULL, finished_at = now()"
            " WHERE id = $1::uuid AND owner = $2 AND state = 'running' RETURNING " +
            columns(),
        id, owner, std::string(vod_job_state_name(state)), value);
    if (rows.empty()) return false;
    if (events) insert_deliveries(txn, events(read_job(rows[0])));
    txn.commit();
    return true;
  });
}

bool VodJobRepository::finish_ready(const std::string& id, const std::string& owner,
                                    const std::string& outputs_json, const VodJobEvents& events) {
  return finish(id, owner, VodJobState::ready, "outputs = $4::jsonb", outputs_json, events);
}

bool VodJobRepository::finish_failed(const std::string& id, const std::string& owner,
                                     const std::string& error, const VodJobEvents& events) {
  return finish(id, owner, VodJobState::failed, "error = $4", error, events);
}

uint64_t VodJobRepository::requeue_abandoned(const std::string& owner) {
  return database_.pool().run([&](pqxx::connection& connection) {
    pqxx::nontransaction txn(connection);
    return static_cast<uint64_t>(
        txn.exec_params("UPDATE vod_jobs SET state = 'queued', percent = 0, owner = NULL,"
                        " owner_until = NULL WHERE state = 'running' AND (owner = $1 OR"
                        " owner_until < now())",
                        owner)
            .affected_rows());
  });
}

uint64_t VodJobRepository::requeue_expired() {
  return database_.pool().run([&](pqxx::connection& connection) {
    pqxx::nontransaction txn(connection);
    return static_cast<uint64_t>(
        txn.exec("UPDATE vod_jobs SET state = 'queued', percent = 0, owner = NULL,"
                 " owner_until = NULL WHERE state = 'running' AND owner_until < now()")
            .affected_rows());
  });
}

}  // namespace looplive::db
