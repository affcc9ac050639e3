#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "looplive/control_api/config.hpp"
#include "looplive/core/config.hpp"
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
};

// Throw core::ConfigError; its message reads "FILE: KEY: REASON".
// Relative paths in the file are taken from the file's directory.
Config load_config(const std::string& path);
// Without `base_dir`, relative paths are left as written (relative to the working directory).
Config parse_config(const std::string& yaml_text, const std::string& source_name,
                    const std::filesystem::path& base_dir = {});

}  // namespace looplive::app
