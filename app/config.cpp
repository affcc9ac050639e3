#include "config.hpp"

#include <fstream>
#include <sstream>

namespace looplive::app {

namespace {

void read_config(core::ConfigSection s, LifecycleConfig& c) {
  s.read_ms("reconnect_window_ms", c.reconnect_window, 0, 3'600'000);
  s.read_ms("owner_lease_ms", c.owner_lease, 1'000, 600'000);
  s.read_ms("drain_delay_ms", c.drain_delay, 0, 600'000);
  s.finish();
}

void read_config(core::ConfigSection s, VodConfig& c) {
  s.read_int("workers", c.workers, 0, 16);
  s.read_path("import_dir", c.import_dir);
  s.read_bool("allow_urls", c.allow_urls);
  s.read_int("max_duration_seconds", c.max_duration_seconds, 1, 24 * 3600);
  transcode::read_rungs(s, "rungs", c.rungs);
  s.read("encoder", c.encoder);
  if (c.encoder.empty()) s.fail(s.key_path("encoder"), "must not be empty");
  s.read("preset", c.preset);
  s.read_int("threads", c.threads, 1, 16);
  s.read_int("poster_width", c.poster_width, 64, 3840);
  s.read_ms("io_timeout_ms", c.io_timeout, 1'000, 600'000);
  s.read_int("max_queued", c.max_queued, 1, 1'000'000);
  s.read_int("max_queued_per_client", c.max_queued_per_client, 1, 1'000'000);
  s.read_ms("deleted_sweep_ms", c.deleted_sweep, 1'000, 3'600'000);
  s.finish();
}

}  // namespace

Config parse_config(const std::string& yaml_text, const std::string& source_name,
                    const std::filesystem::path& base_dir, core::EnvironmentFile environment) {
  Config config;
  core::ConfigSection top =
      core::ConfigSection::parse(yaml_text, source_name, base_dir, std::move(environment));
  core::read_config(top.section("server"), config.server);
  core::read_config(top.section("log"), config.log);
  ingest::read_config(top.section("rtmp"), config.rtmp);
  db::read_config(top.section("database"), config.database);
  packager::read_config(top.section("packager"), config.packager);
  transcode::read_config(top.section("ladder"), config.ladder);
  origin::read_config(top.section("origin"), config.origin);
  control_api::read_config(top.section("api"), config.api);
  read_config(top.section("lifecycle"), config.lifecycle);
  control_api::read_config(top.section("webhooks"), config.webhooks);
  control_api::read_config(top.section("retention"), config.retention);
  read_config(top.section("vod"), config.vod);
  top.finish();
  return config;
}

Config load_config(const std::string& path, const std::string& environment_file) {
  std::ifstream file(path);
  if (!file) throw core::ConfigError(path + ": cannot be read");
  std::stringstream text;
  text << file.rdbuf();
  return parse_config(text.str(), path, std::filesystem::absolute(path).parent_path(),
                      environment_file.empty() ? core::EnvironmentFile{}
                                               : core::read_environment_file(environment_file));
}

}  // namespace looplive::app
