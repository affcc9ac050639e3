#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>

#include "config.hpp"
#include "config_reload.hpp"
#include "looplive/core/ingest_figures.hpp"
#include "looplive/core/io_threads.hpp"
#include "looplive/core/latency_histogram.hpp"
#include "looplive/core/packet_sink.hpp"
#include "looplive/core/product_tag.hpp"
#include "looplive/core/publisher_registry.hpp"
#include "looplive/core/viewer_source.hpp"

namespace looplive::db {
class Database;
class StreamRepository;
class TagRepository;
class WebhookQueue;
class VodJobRepository;
}  // namespace looplive::db
namespace looplive::control_api {
class ControlApi;
class WebhookDispatcher;
}  // namespace looplive::control_api
namespace looplive::ingest {
class RtmpServer;
}
namespace looplive::packager {
class Packager;
}
namespace looplive::transcode {
class LadderSinks;
}
namespace looplive::origin {
class OriginService;
}

namespace looplive::app {

class DbAdmission;
class PackagerLiveSource;
class OriginViewerSource;
class VodJobRunner;
class StreamLifecycle;
class VodFinalizer;

// The only place that knows every component: builds them, starts them and
// stops them in order.
class Server {
 public:
  // `sinks` replaces the packager as the destination of published media
  // (tests observe exactly what ingest produced).
  explicit Server(const app::Config& config, core::SinkFactory* sinks = nullptr);
  ~Server();

  // Where viewer figures come from (the origin); none gives zeros. Before start().
  void set_viewer_source(const core::ViewerSource* viewers) { viewers_ = viewers; }
  // Text appended to the control API's /metrics (the origin's). Before start().
  void set_extra_metrics(std::function<std::string()> metrics) {
    extra_metrics_ = std::move(metrics);
  }

  // Connects to the database (waiting up to `database_wait` for it), applies
  // migrations, gives streams a previous run left live a reconnect window,
  // binds the listeners and starts the I/O threads.
  void start(std::chrono::milliseconds database_wait = std::chrono::seconds(30));
  // Where SIGHUP reads the configuration again (the file it was started
  // with); it throws core::ConfigError for a configuration that is not valid,
  // which is then refused whole. Before start().
  void set_config_source(std::function<app::Config()> source) {
    config_source_ = std::move(source);
  }
  // Applies what can change in a running server (log levels, API access,
  // webhooks) and logs what differs but needs a restart. Any thread.
  ReloadPlan reload(const app::Config& next);
  // The plan of the last reload, and how many have been done (tests).
  std::pair<ReloadPlan, uint64_t> last_reload() const;
  // Blocks until SIGINT/SIGTERM or stop().
  void wait();
  // Closes listeners and connections, drains the pools and joins the threads. Idempotent.
  void stop();

  uint16_t rtmp_port() const;
  uint16_t api_port() const;
  uint16_t origin_port() const;
  core::ViewerFigures viewer_figures(const std::string& stream_id) const {
    return viewers_ ? viewers_->viewers(stream_id) : core::ViewerFigures{};
  }
  size_t rtmp_connections() const;
  core::PublisherRegistry& registry() { return registry_; }
  db::StreamRepository& streams() { return *streams_; }
  core::IngestFiguresRegistry& figures() { return figures_; }
  packager::Packager* packager() { return packager_.get(); }
  const origin::OriginService* origin() const { return origin_.get(); }

 private:
  void start_control_api();
  // tag.aired webhooks, when configured; from the thread that packages the stream.
  void announce_aired(const std::string& stream_id, std::vector<core::ProductTag> tags);
  void start_origin();
  void await_signal();
  void reload_from_source();

  // Declared in dependency order: destroyed in reverse, users before what they use.
  app::Config config_;
  // Names this process among those sharing the database: host, pid, start time.
  const std::string owner_;
  core::IoThreads io_;                 // connections, and the packaging of what they receive
  boost::asio::thread_pool blocking_;  // database, VOD finalisation
  boost::asio::thread_pool disk_;      // the packager's file writes, each stream's in order
  core::PublisherRegistry registry_;
  core::IngestFiguresRegistry figures_;
  core::LatencyHistogram key_checks_;
  const core::ViewerSource* viewers_ = nullptr;
  std::function<std::string()> extra_metrics_;
  std::unique_ptr<packager::Packager> packager_;
  std::unique_ptr<transcode::LadderSinks> ladder_;  // in front of the packager
  core::SinkFactory* replacement_sinks_;
  std::unique_ptr<db::Database> database_;
  std::unique_ptr<db::StreamRepository> streams_;
  std::unique_ptr<db::WebhookQueue> webhook_queue_;
  std::unique_ptr<db::TagRepository> tags_;
  std::unique_ptr<control_api::WebhookDispatcher> webhooks_;
  std::unique_ptr<db::VodJobRepository> vod_jobs_;
  std::unique_ptr<VodJobRunner> vod_runner_;  // none: vod.workers is 0, or no packager
  std::unique_ptr<VodFinalizer> finalizer_;
  std::unique_ptr<StreamLifecycle> lifecycle_;
  std::unique_ptr<DbAdmission> admission_;
  std::unique_ptr<ingest::RtmpServer> rtmp_;
  std::unique_ptr<PackagerLiveSource> live_source_;
  std::unique_ptr<origin::OriginService> origin_;
  std::unique_ptr<OriginViewerSource> origin_viewers_;
  std::unique_ptr<control_api::ControlApi> api_;
  std::unique_ptr<boost::asio::signal_set> signals_;
  std::function<app::Config()> config_source_;
  mutable std::mutex reload_mutex_;  // one reload at a time; guards the two below
  ReloadPlan last_reload_;
  uint64_t reloads_ = 0;
  std::mutex stop_mutex_;
  std::condition_variable stopped_cv_;
  bool stop_requested_ = false;
  bool stopped_ = false;
  bool started_ = false;  // the I/O threads run
  std::atomic<bool> draining_{false};
};

}  // namespace looplive::app
