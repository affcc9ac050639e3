#include "looplive/control_api/stream_json.hpp"
#include "looplive/control_api/vod_jobs.hpp"

namespace looplive::control_api {
namespace {

nlohmann::json parsed_or_null(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  return nlohmann::json::parse(*text, nullptr, false);
}

}  // namespace

std::string vod_job_url(const PublicUrls& urls, const std::string& job_id, std::string_view file) {
  return urls.media(media::files::vod_job_path(job_id, file));
}

nlohmann::json vod_job_json(const db::VodJobRecord& job, const PublicUrls& urls) {
  const std::string& id = job.job.id;
  nlohmann::json outputs = parsed_or_null(job.outputs_json);
  // Stored without URLs: the playback base may change between the job and the request.
  if (job.state == db::VodJobState::ready && outputs.is_object()) {
    outputs["hls"] = vod_job_url(urls, id, media::files::kMultivariantPlaylist);
    outputs["dash"] = vod_job_url(urls, id, media::files::kManifest);
    outputs["poster"] = outputs.value("posterWritten", false)
                            ? nlohmann::json(vod_job_url(urls, id, media::files::kPoster))
                            : nlohmann::json(nullptr);
    outputs["mp4"] = vod_job_url(urls, id, media::files::kDownload);
    outputs.erase("posterWritten");
  }
  return {
      {"id", id},
      {"state", std::string(db::vod_job_state_name(job.state))},
      {"percent", job.percent},
      {"source", job.job.source},
      {"rungs", job.job.rungs.empty() ? nlohmann::json(nullptr) : nlohmann::json(job.job.rungs)},
      {"posterAtSeconds", job.job.poster_at_seconds ? nlohmann::json(*job.job.poster_at_seconds)
                                                    : nlohmann::json(nullptr)},
      {"metadata", nlohmann::json::parse(job.job.metadata_json, nullptr, false)},
      {"error", job.error ? nlohmann::json(*job.error) : nlohmann::json(nullptr)},
      {"attempts", job.attempts},
      {"probe", parsed_or_null(job.probe_json)},
      {"outputs", outputs},
      {"createdAt", api_time(job.created_at)},
      {"startedAt", api_time(job.started_at)},
      {"finishedAt", api_time(job.finished_at)},
  };
}

}  // namespace looplive::control_api
