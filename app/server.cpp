#include "server.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "db_admission.hpp"
#include "live_sources.hpp"
#include "looplive/control_api/control_api.hpp"
#include "looplive/control_api/events.hpp"
#include "looplive/control_api/webhooks.hpp"
#include "looplive/core/error.hpp"
#include "looplive/core/log.hpp"
#include "looplive/db/database.hpp"
#include "looplive/db/stream_repository.hpp"
#include "looplive/db/tag_repository.hpp"
#include "looplive/db/vod_job_repository.hpp"
#include "looplive/db/webhook_queue.hpp"
#include "looplive/ingest/rtmp_server.hpp"
#include "looplive/packager/packager.hpp"
#include "looplive/transcode/ladder.hpp"
#include "rejection_notifier.hpp"
#include "stream_lifecycle.hpp"
#include "version.hpp"
#include "vod_finalizer.hpp"
#include "vod_jobs.hpp"

namespace looplive::app {

namespace net = boost::asio;

namespace {
unsigned io_thread_count(const core::ServerConfig& config) {
  return config.io_threads ? config.io_threads : std::max(1u, std::thread::hardware_concurrency());
}
// Unique among the processes (and the servers in one process) sharing a database.
std::string owner_name() {
  static std::atomic<unsigned> servers{0};
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "unknown");
  const auto started = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  return std::string(host) + ":" + std::to_string(::getpid()) + ":" + std::to_string(started) +
         ":" + std::to_string(++servers);
}

}  // namespace

Server::Server(const app::Config& config, core::SinkFactory* sinks)
    : config_(config),
      owner_(owner_name()),
      io_(io_thread_count(config.server)),
      blocking_(config.server.blocking_threads),
      disk_(io_thread_count(config.server)),
      replacement_sinks_(sinks) {
  if (!replacement_sinks_) {
    packager::PackagerOptions options;
    options.thumbnails = config_.packager.thumbnails;
    options.disk_executor = [this](std::function<void()> job) { net::post(disk_, std::move(job)); };
    // Streams publish only once the origin exists (it starts before ingest).
    options.on_view = [this](const std::string& stream_id) {
      if (origin_) origin_->live_changed(stream_id);
    };
    options.on_tags_aired = [this](const std::string& stream_id,
                                   std::vector<core::ProductTag> tags) {
      announce_aired(stream_id, std::move(tags));
    };
    packager_ = std::make_unique<packager::Packager>(config_.packager, std::move(options));
  }
}

Server::~Server() {
  stop();
}

void Server::start(std::chrono::milliseconds database_wait) {
  auto log = core::logger("app");
  database_ = std::make_unique<db::Database>(config_.database);
  auto give_up = std::chrono::steady_clock::now() + database_wait;
  for (;;) {
    try {
      database_->migrate();
      break;
    } catch (const core::Failure& e) {
      if (e.code() != core::ErrorCode::unavailable || std::chrono::steady_clock::now() >= give_up)
        throw;
      log->warn("database not reachable yet ({}); retrying", e.what());
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
  log->info("database schema at version {}", database_->schema_version());
  streams_ = std::make_unique<db::StreamRepository>(*database_);
  webhook_queue_ = std::make_unique<db::WebhookQueue>(*database_);
  tags_ = std::make_unique<db::TagRepository>(*database_);
  webhooks_ = std::make_unique<control_api::WebhookDispatcher>(*webhook_queue_, config_.webhooks);

  // The origin counts viewers, so it starts before the parts that report them.
  start_origin();

  // Ingest -> packager, on the publisher's I/O thread; the lifecycle hears of
  // publishes from the registry, that one finished only once the packager has
  // taken its last packet. The packager hands its file writes to the disk pool.
  finalizer_ = std::make_unique<VodFinalizer>(packager_.get(), tags_.get());
  lifecycle_ = std::make_unique<StreamLifecycle>(StreamLifecycle::Dependencies{
      io_.main(), blocking_, *streams_, registry_, *finalizer_, *webhooks_,
      control_api::PublicUrls::from(config_.api), viewers_, &figures_,
      config_.lifecycle.reconnect_window, owner_, config_.lifecycle.owner_lease});
  lifecycle_->recover();
  webhooks_->start();

  admission_ = std::make_unique<DbAdmission>(*streams_, blocking_);
  admission_->measure_into(&key_checks_);
  admission_->claim_as(owner_, config_.lifecycle.owner_lease);
  admission_->on_refused(RejectionNotifier(*webhook_queue_, *webhooks_));
  // Without a packager (tests that take the media themselves) nothing would hold the tags.
  if (packager_) {
    admission_->restore_tags_from(tags_.get(), [packager = packager_.get()](const std::string& id) {
      return packager->view(id) != nullptr;
    });
  }
  if (!replacement_sinks_)
    ladder_ = std::make_unique<transcode::LadderSinks>(config_.ladder, *packager_);
  core::SinkFactory& sinks = replacement_sinks_ ? *replacement_sinks_ : *ladder_;
  rtmp_ = std::make_unique<ingest::RtmpServer>(io_, config_.rtmp, *admission_, registry_, sinks);
  rtmp_->set_figures(&figures_);
  rtmp_->start();
  vod_jobs_ = std::make_unique<db::VodJobRepository>(*database_);
  if (packager_ && config_.vod.workers > 0) {
    vod_runner_ = std::make_unique<VodJobRunner>(
        VodJobRunner::Settings{config_.vod, config_.packager, owner_, std::chrono::seconds(120),
                               control_api::PublicUrls::from(config_.api)},
        *vod_jobs_, webhooks_.get());
    vod_runner_->start();
  }
  start_control_api();

  signals_ = std::make_unique<net::signal_set>(io_.main(), SIGINT, SIGTERM, SIGHUP);
  await_signal();

  io_.start();
  started_ = true;
  log->info("looplive started: {} I/O threads, {} blocking threads", io_.size(),
            config_.server.blocking_threads);
}

void Server::await_signal() {
  signals_->async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      // Reading and checking the file, and the webhooks' reconfiguration,
      // stay off the I/O threads.
      net::post(blocking_, [this] { reload_from_source(); });
      return await_signal();
    }
    core::logger("app")->info("signal {} received, shutting down", signal);
    std::lock_guard lock(stop_mutex_);
    stop_requested_ = true;
    stopped_cv_.notify_all();
  });
}

void Server::reload_from_source() {
  auto log = core::logger("app");
  if (!config_source_) {
    log->warn("SIGHUP: this server has no configuration file to read again; nothing changed");
    return;
  }
  try {
    reload(config_source_());
  } catch (const core::ConfigError& error) {
    log->error("SIGHUP: the configuration was not reloaded, the running one stays: {}",
               error.what());
  }
}

ReloadPlan Server::reload(const app::Config& next) {
  std::lock_guard lock(reload_mutex_);
  ReloadPlan plan = plan_reload(config_, next);
  if (plan.webhooks() && webhooks_) {
    try {
      webhooks_->reconfigure(next.webhooks);
    } catch (const std::invalid_argument& error) {
      core::logger("app")->error("reload: webhooks unchanged: {}", error.what());
      std::erase(plan.applied, "webhooks");
    }
  }
  if (plan.log_levels()) core::set_log_levels(next.log);
  if (plan.api_access() && api_) api_->set_access(next.api);
  if (plan.origin_clients() && origin_) origin_->set_client_policy(next.origin);
  if (plan.rtmp_caps() && rtmp_) rtmp_->set_connection_caps(next.rtmp);
  config_ = after_reload(config_, next, plan);
  const auto names = [](const std::vector<std::string>& list) {
    std::string text;
    for (const auto& name : list) text += (text.empty() ? "" : ", ") + name;
    return text.empty() ? std::string("nothing") : text;
  };
  auto log = core::logger("app");
  log->info("configuration reloaded: applied {}", names(plan.applied));
  if (!plan.restart.empty())
    log->warn("configuration reloaded: {} changed but take effect only after a restart",
              names(plan.restart));
  last_reload_ = plan;
  ++reloads_;
  return plan;
}

std::pair<ReloadPlan, uint64_t> Server::last_reload() const {
  std::lock_guard lock(reload_mutex_);
  return {last_reload_, reloads_};
}

void Server::start_origin() {
  if (!packager_) return;  // media goes to a caller's sink: nothing to serve
  // The origin serves what the packager writes, at the packager's pace.
  origin::OriginConfig settings = config_.origin;
  settings.media_root = config_.packager.media_root;
  settings.target_duration = config_.packager.segment_duration;
  live_source_ = std::make_unique<PackagerLiveSource>(*packager_);
  origin_ = std::make_unique<origin::OriginService>(io_, std::move(settings), *live_source_);
  origin_->start();
  origin_viewers_ = std::make_unique<OriginViewerSource>(*origin_);
  if (!viewers_) viewers_ = origin_viewers_.get();
  if (!extra_metrics_)
    extra_metrics_ = [this] {
      return origin_->metrics_text() + (rtmp_ ? rtmp_->metrics_text() : "");
    };
}

void Server::announce_aired(const std::string& stream_id, std::vector<core::ProductTag> tags) {
  if (!webhooks_ || !webhooks_->sends(control_api::events::kTagAired)) return;
  // The outbox is PostgreSQL: never on the packaging thread.
  net::post(blocking_, [this, stream_id, tags = std::move(tags)] {
    try {
      std::vector<db::NewDelivery> deliveries;
      for (const core::ProductTag& tag : tags) {
        auto more =
            webhooks_->deliveries(control_api::events::kTagAired,
                                  control_api::events::tag_aired(stream_id, tag), stream_id);
        deliveries.insert(deliveries.end(), std::make_move_iterator(more.begin()),
                          std::make_move_iterator(more.end()));
      }
      webhook_queue_->enqueue(deliveries);
      webhooks_->wake();
    } catch (const std::exception& error) {
      core::logger("app")->warn("{} tag.aired not queued: {}", core::log_context(stream_id),
                                error.what());
    }
  });
}

void Server::start_control_api() {
  control_api::ApiSettings settings;
  settings.api = config_.api;
  settings.rtmp_app = config_.rtmp.app;
  settings.segment_duration = config_.packager.segment_duration;
  settings.build_info = build_info();
  settings.retention = config_.retention;
  settings.owner = owner_;
  control_api::ApiDependencies dependencies{*database_, *streams_,   *webhook_queue_, registry_,
                                            figures_,   *lifecycle_, blocking_};
  dependencies.viewers = viewers_;
  dependencies.webhooks = webhooks_.get();
  dependencies.key_checks = &key_checks_;
  dependencies.extra_metrics = extra_metrics_;
  dependencies.draining = [this] { return draining_.load(); };
  if (packager_) {
    dependencies.remove_media = [packager = packager_.get()](const std::string& id) {
      if (auto removed = packager->remove_media(id); !removed)
        throw std::runtime_error(removed.error().message);
    };
    dependencies.tag_store = tags_.get();
    dependencies.tag_carrier = packager_.get();
    dependencies.vod_jobs = vod_jobs_.get();
    dependencies.vod_control = vod_runner_.get();
    dependencies.ladder_trouble = [ladder = ladder_.get()](const std::string& id) {
      return ladder->status().trouble(id);
    };
  }
  dependencies.listeners_up = [this] {
    return rtmp_ && rtmp_->port() != 0 && api_ && api_->port() != 0;
  };
  api_ = std::make_unique<control_api::ControlApi>(io_.main(), std::move(settings),
                                                   std::move(dependencies));
  api_->start();
}

void Server::wait() {
  std::unique_lock lock(stop_mutex_);
  stopped_cv_.wait(lock, [this] { return stop_requested_; });
}

uint16_t Server::rtmp_port() const {
  return rtmp_ ? rtmp_->port() : 0;
}

uint16_t Server::origin_port() const {
  return origin_ ? origin_->port() : 0;
}

uint16_t Server::api_port() const {
  return api_ ? api_->port() : 0;
}

size_t Server::rtmp_connections() const {
  return rtmp_ ? rtmp_->connection_count() : 0;
}

void Server::stop() {
  {
    std::lock_guard lock(stop_mutex_);
    if (stopped_) return;
    stopped_ = true;
    stop_requested_ = true;
    stopped_cv_.notify_all();
  }
  // Order: drain (not ready, no new publish; then every publisher told to
  // go, its stream left reconnecting), stop answering and deciding, let
  // queued blocking jobs finish, then stop webhooks and the I/O threads.
  draining_ = true;
  if (rtmp_) rtmp_->drain();
  const auto drain_delay = [this] {
    std::lock_guard lock(reload_mutex_);  // a reload may be writing config_
    return config_.lifecycle.drain_delay;
  }();
  if (started_ && drain_delay.count() > 0) {
    core::logger("app")->info("draining for {} ms before publishers are told to go",
                              drain_delay.count());
    std::this_thread::sleep_for(drain_delay);
  }
  if (signals_) signals_->cancel();
  if (rtmp_) rtmp_->stop();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (rtmp_ && rtmp_->connection_count() > 0 && std::chrono::steady_clock::now() < deadline &&
         started_)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (lifecycle_ && started_) lifecycle_->settle(std::chrono::seconds(5));
  if (api_) api_->stop();
  if (vod_runner_) vod_runner_->stop();  // running jobs go back to the queue
  if (origin_) origin_->stop();
  if (lifecycle_) lifecycle_->stop();
  blocking_.join();  // streams ended by now have their VODs
  // The streams this process held stay live for a successor, which may take
  // them at once rather than after the lease.
  if (streams_) {
    try {
      streams_->release(owner_);
    } catch (const std::exception& error) {
      core::logger("app")->warn("streams not released: {}", error.what());
    }
  }
  disk_.join();  // every finished publish has written its last segment and playlists
  if (webhooks_) webhooks_->stop();
  io_.stop();
  io_.join();
  core::logger("app")->info("looplive stopped");
}

}  // namespace looplive::app
