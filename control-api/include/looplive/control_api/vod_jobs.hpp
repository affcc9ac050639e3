#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "looplive/control_api/public_urls.hpp"
#include "looplive/db/vod_job_repository.hpp"

namespace looplive::control_api {

// What runs VOD packaging jobs (the application's worker pool), as the API
// sees it. Jobs themselves are rows in the database (db::VodJobRepository).
class VodJobControl {
 public:
  virtual ~VodJobControl() = default;
  // Why a job's source can never work on this server (outside the import
  // folder, a scheme other than http(s), URLs turned off), as a sentence for
  // a 422; nothing when it may be tried. Whether the file exists and is a
  // video is the job's to find out.
  virtual std::optional<std::string> refuse_source(const std::string& source) const = 0;
  // A job was queued: a free worker takes it now rather than at its next look.
  virtual void wake() = 0;
  // How many jobs may wait at once (vod.max_queued), and for one API token
  // (vod.max_queued_per_client): a backend that posts faster than the
  // workers run cannot fill the database and the disk, nor the queue for
  // every other client.
  virtual db::VodQueueCaps queue_caps() const = 0;
  // A deleted job: stops it if it runs here and removes its files. Blocks
  // for the removal; any thread.
  virtual void forget(const std::string& job_id) = 0;
};

// The URLs of a job's outputs, by file name in vods/<job id>/.
std::string vod_job_url(const PublicUrls& urls, const std::string& job_id, std::string_view file);
// GET /v1/vod/jobs/{id}, and the data of the vod.ready and vod.failed webhooks.
nlohmann::json vod_job_json(const db::VodJobRecord& job, const PublicUrls& urls);

}  // namespace looplive::control_api
