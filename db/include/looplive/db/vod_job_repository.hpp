#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "looplive/db/database.hpp"
#include "looplive/db/webhook_queue.hpp"

namespace looplive::db {

enum class VodJobState { queued, running, ready, failed };
std::string_view vod_job_state_name(VodJobState state);

struct NewVodJob {
  std::string id;                  // UUID; empty: insert() makes one
  std::string source;              // a file under the import folder, or an http(s) URL
  std::vector<std::string> rungs;  // "720p@2800k"; empty: the configured ladder
  std::optional<double> poster_at_seconds;
  std::string metadata_json = "{}";
  // Who queued it, for the per-client cap: an opaque name, never a secret.
  // Empty: no client (counts only towards the whole queue).
  std::string client;
};

// How many jobs may wait at once: in all, and for any one client.
struct VodQueueCaps {
  size_t total = 0;
  size_t per_client = 0;
};

struct VodJobRecord {
  NewVodJob job;
  VodJobState state = VodJobState::queued;
  int percent = 0;
  std::optional<std::string> error;
  std::optional<std::string> probe_json;
  std::optional<std::string> outputs_json;
  int attempts = 0;
  std::string created_at;  // ISO 8601, UTC
  std::optional<std::string> started_at;
  std::optional<std::string> finished_at;
};

// Where a page of the job list starts: after this job (newest first).
struct VodJobPosition {
  std::string created_at;  // ISO 8601 UTC, as VodJobRecord has it
  std::string id;
};

// Builds the webhook deliveries that announce a finished job, from the job as stored.
using VodJobEvents = std::function<std::vector<NewDelivery>(const VodJobRecord& finished)>;

// VOD packaging jobs. A running job is held by its process (`owner`) under a
// lease it renews while it works; a job whose lease ran out is queued again.
// Every method blocks and throws core::Failure: already_exists from insert()
// for a taken id (an id is taken for good: a removed job's is never given
// again), unavailable when the database cannot be reached.
class VodJobRepository {
 public:
  explicit VodJobRepository(Database& database) : database_(database) {}

  // Queued, unless `max_queued` jobs wait already (core::ErrorCode::full).
  VodJobRecord insert(const NewVodJob& job, std::optional<VodQueueCaps> caps = std::nullopt);
  std::optional<VodJobRecord> find(const std::string& id);
  // Newest first, after `after`, `limit` at most.
  std::vector<VodJobRecord> list(const std::optional<VodJobPosition>& after, size_t limit);
  // False when there was no such job.
  bool remove(const std::string& id);
  // Of `names` (folders under vods/), the job ids no job has: jobs deleted.
  // Names that cannot be job ids are left out.
  std::vector<std::string> deleted_among(const std::vector<std::string>& names);

  // The oldest queued job, now running for `owner`; none when the queue is empty.
  std::optional<VodJobRecord> claim_next(const std::string& owner, std::chrono::milliseconds lease);
  // Progress of a running job, renewing the lease; false when the job is no
  // longer this owner's to run (deleted, or taken back after a lost lease).
  bool progress(const std::string& id, const std::string& owner, int percent,
                std::chrono::milliseconds lease);
  // Records what the source holds, as soon as it is known.
  void set_probe(const std::string& id, const std::string& owner, const std::string& probe_json);
  // The job's end, with the deliveries `events` builds in the same
  // transaction; false when it is no longer this owner's.
  bool finish_ready(const std::string& id, const std::string& owner,
                    const std::string& outputs_json, const VodJobEvents& events);
  bool finish_failed(const std::string& id, const std::string& owner, const std::string& error,
                     const VodJobEvents& events);
  // Running jobs of `owner` (a process that restarted under the same name)
  // or whose lease ran out go back to the queue; how many.
  uint64_t requeue_abandoned(const std::string& owner);
  // Only those whose lease ran out (their process vanished); how many.
  uint64_t requeue_expired();

 private:
  bool finish(const std::string& id, const std::string& owner, VodJobState state,
              const std::string& column, const std::string& value, const VodJobEvents& events);
  Database& database_;
};

}  // namespace looplive::db
