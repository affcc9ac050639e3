#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config.hpp"
#include "looplive/control_api/public_urls.hpp"
#include "looplive/control_api/vod_jobs.hpp"
#include "looplive/db/vod_job_repository.hpp"

namespace looplive::control_api {
class WebhookDispatcher;
}

namespace looplive::app {

// Runs VOD packaging jobs on `vod.workers` threads of their own: each takes
// the oldest queued job from the database, probes its source, writes a
// poster, transcodes it to the ladder and packages it as CMAF HLS, DASH and an
// MP4 (a packager of its own, in vod-work/), then moves the whole folder to
// vods/<job id>/ in one rename, so nothing half-written is ever served.
// A job this process was running when it died runs again from the start.
// A job deleted through another server sharing the database loses its
// folder here at the next sweep (vod.deleted_sweep_ms).
class VodJobRunner : public control_api::VodJobControl {
 public:
  struct Settings {
    VodConfig vod;
    packager::PackagerConfig packager;  // its media root and segment duration
    std::string owner;                  // this process, among those sharing the database
    std::chrono::milliseconds lease{120'000};
    control_api::PublicUrls urls;
  };
  VodJobRunner(Settings settings, db::VodJobRepository& jobs,
               control_api::WebhookDispatcher* webhooks);
  ~VodJobRunner() override;
  VodJobRunner(const VodJobRunner&) = delete;
  VodJobRunner& operator=(const VodJobRunner&) = delete;

  // Queues again the jobs a previous run of this process left running, and starts the workers.
  void start();
  // Stops the workers; jobs they were running go back to the queue. Idempotent.
  void stop();

  std::optional<std::string> refuse_source(const std::string& source) const override;
  void wake() override;
  db::VodQueueCaps queue_caps() const override {
    return {settings_.vod.max_queued, settings_.vod.max_queued_per_client};
  }
  void forget(const std::string& job_id) override;

 private:
  void work();
  void run(const db::VodJobRecord& job);
  // Whether this worker is the one to look for deleted jobs' folders now.
  bool sweep_due();
  // Removes the folders under vods/ of jobs deleted through another server.
  void sweep_deleted();
  // The source as libavformat opens it: a URL, or the file's path under the import folder.
  std::string locate(const std::string& source) const;
  void finish_failed(const std::string& id, const std::string& reason);
  db::VodJobEvents events(std::string_view type) const;

  Settings settings_;
  db::VodJobRepository& jobs_;
  control_api::WebhookDispatcher* webhooks_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool woken_ = false;
  bool stopping_ = false;
  // Jobs running here, by id: their cancel flags.
  std::map<std::string, std::shared_ptr<std::atomic<bool>>> running_;
  std::chrono::steady_clock::time_point next_sweep_{};
};

}  // namespace looplive::app
