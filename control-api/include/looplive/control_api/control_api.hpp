#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "looplive/control_api/config.hpp"
#include "looplive/control_api/stream_ender.hpp"
#include "looplive/control_api/vod_jobs.hpp"
#include "looplive/control_api/webhooks.hpp"
#include "looplive/core/ingest_figures.hpp"
#include "looplive/core/latency_histogram.hpp"
#include "looplive/core/product_tag.hpp"
#include "looplive/core/publisher_registry.hpp"
#include "looplive/core/viewer_source.hpp"
#include "looplive/db/database.hpp"
#include "looplive/db/stream_repository.hpp"
#include "looplive/db/tag_repository.hpp"
#include "looplive/db/webhook_queue.hpp"
#include "looplive/http/handler.hpp"
#include "looplive/http/server_figures.hpp"

namespace looplive::control_api {

// What the API reads and acts on; everything is owned by the application and
// must outlive the ControlApi.
struct ApiDependencies {
  db::Database& database;
  db::StreamRepository& streams;
  db::WebhookQueue& webhook_queue;
  core::PublisherRegistry& registry;
  core::IngestFiguresRegistry& figures;  // read, and cleared when a stream is deleted
  StreamEnder& ender;
  boost::asio::thread_pool& blocking;                  // every database call runs here
  const core::ViewerSource* viewers = nullptr;         // none: zeros
  const WebhookDispatcher* webhooks = nullptr;         // for /metrics
  const core::LatencyHistogram* key_checks = nullptr;  // for /metrics
  std::function<bool()> listeners_up;                  // for /readyz; none: true
  std::function<bool()> draining;                      // for /readyz: shutting down; none: false
  std::function<std::string()> extra_metrics;          // appended to /metrics
  // Deletes an ended stream's files (the packager knows where they are);
  // throws when one cannot be removed. None: nothing is on disk to delete.
  std::function<void(const std::string& stream_id)> remove_media;
  // Product tags: where they are stored, and what carries them in the media.
  // Either missing: the tag routes answer 503.
  db::TagRepository* tag_store = nullptr;
  core::TagCarrier* tag_carrier = nullptr;
  // Why a stream's adaptive ladder stopped during its publish, for
  // /health; none: no ladders.
  std::function<std::optional<std::string>(const std::string& stream_id)> ladder_trouble;
  // VOD packaging jobs: where they are stored and what runs them. Either
  // missing: the /v1/vod/jobs routes answer 503.
  db::VodJobRepository* vod_jobs = nullptr;
  VodJobControl* vod_control = nullptr;
};

struct ApiSettings {
  control_api::ApiConfig api;
  std::string rtmp_app = "live";
  std::chrono::milliseconds segment_duration{2'000};
  control_api::RetentionConfig retention;
  // Labels of looplive_build_info: version, ffmpeg, boost, libpq.
  std::vector<std::pair<std::string, std::string>> build_info;
  // This process among those sharing the database (the stream lifecycle's
  // owner name): tags posted here for a stream another one packages are
  // handed to it. Empty: a stream not packaged here takes no tags.
  std::string owner;
};

// The REST API on its own listener. docs/api.md describes every endpoint.
class ControlApi {
 public:
  ControlApi(boost::asio::io_context& io, ApiSettings settings, ApiDependencies dependencies);
  ~ControlApi();
  ControlApi(const ControlApi&) = delete;
  ControlApi& operator=(const ControlApi&) = delete;

  // Binds and listens; throws boost::system::system_error when the address is taken.
  void start();
  void stop();  // idempotent
  uint16_t port() const;
  http::ServerFigures figures() const;
  // Applies new tokens, hook_allowed_addresses and metrics_require_auth to
  // the requests that follow (a configuration reload); any thread.
  void set_access(const ApiConfig& api);
  // Answers one request as the listener would (tests call it without a socket).
  void handle(const http::Request& request, http::Respond respond);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace looplive::control_api
