#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "looplive/control_api/config.hpp"
#include "looplive/core/config.hpp"
#include "looplive/core/ladder_choice.hpp"
#include "looplive/db/config.hpp"
#include "looplive/ingest/config.hpp"
#include "looplive/origin/config.hpp"
#include "looplive/packager/config.hpp"
#include "looplive/transcode/config.hpp"

namespace looplive::app {

// The lifecycle: section of the configuration file.
struct LifecycleConfig {
  // How long a dropped publisher may take to come back to the same stream.
  std::chrono::milliseconds reconnect_window{10'000};
  // How long a server's hold on its live streams lasts unless renewed (every
  // third of it): what another server sharing the database waits, after this
  // one vanished, before it adopts them.
  std::chrono::milliseconds owner_lease{15'000};
  // On SIGTERM, how long /readyz answers 503 and new publishes are refused
  // before the running publishers are told to go: time for a load balancer
  // to stop sending new ones here.
  std::chrono::milliseconds drain_delay{0};

  bool operator==(const LifecycleConfig&) const = default;
};

// The vod: section: packaging uploaded videos (POST /v1/vod/jobs).
struct VodConfig {
  uint32_t workers = 1;  // jobs packaged at once; 0: no VOD jobs
  // Sources named by a file are read from here (in the file: relative to it).
  std::string import_dir = "var/import";
  bool allow_urls = true;  // http:// and https:// sources
  uint32_t max_duration_seconds = 4 * 3600;
  // The ladder, largest first; rungs taller than the source are left out (a
  // source shorter than all of them gets one rung at its own height).
  std::vector<core::Rung> rungs{{1080, 5'000'000}, {720, 2'800'000}};
  std::string encoder = "libx264";
  std::string preset = "veryfast";
  uint32_t threads = 2;  // per job
  uint32_t poster_width = 1280;
  // An http(s) source that sends nothing for this long fails the job.
  std::chrono::milliseconds io_timeout{15'000};
  // Jobs waiting at most; a POST beyond is refused with 429 until some have run.
  uint32_t max_queued = 1000;
  // Of those, at most this many queued with one API token.
  uint32_t max_queued_per_client = 250;
  // How often the folders of jobs deleted through another server sharing the
  // database (on a disk of its own) are looked for here and removed.
  std::chrono::milliseconds deleted_sweep{60'000};

  bool operator==(const VodConfig&) const = default;
};

// The whole configuration file: one section per component, each declared and
// read by its component (config.hpp beside its other headers). The default
// member initializers are the defaults; conf/looplive.yaml documents each key.
struct Config {
  core::ServerConfig server;
  core::LogConfig log;
  ingest::RtmpConfig rtmp;
  db::DatabaseConfig database;
  packager::PackagerConfig packager;
  transcode::LadderConfig ladder;
  origin::OriginConfig origin;
  control_api::ApiConfig api;
  LifecycleConfig lifecycle;
  control_api::WebhookConfig webhooks;
  control_api::RetentionConfig retention;
  VodConfig vod;
};

// Throw core::ConfigError; its message reads "FILE: KEY: REASON".
// Relative paths in the file are taken from the file's directory. With an
// `environment_file` (--env-file), its LOOPLIVE_ variables replace the
// process's, read anew at each call.
Config load_config(const std::string& path, const std::string& environment_file = {});
// Without `base_dir`, relative paths are left as written (relative to the working directory).
Config parse_config(const std::string& yaml_text, const std::string& source_name,
                    const std::filesystem::path& base_dir = {},
                    core::EnvironmentFile environment = {});

}  // namespace looplive::app
