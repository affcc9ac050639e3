#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "looplive/control_api/webhooks.hpp"
#include "looplive/core/ingest_figures.hpp"
#include "looplive/core/latency_histogram.hpp"
#include "looplive/db/stream_repository.hpp"
#include "looplive/db/webhook_queue.hpp"
#include "looplive/http/server_figures.hpp"
#include "process_figures.hpp"

namespace looplive::control_api {

// One scrape's figures; database figures are absent when it cannot be reached.
struct MetricsInput {
  bool database_up = false;
  std::optional<std::map<db::StreamStatus, uint64_t>> streams;
  std::optional<db::DeliveryCounts> deliveries;
  size_t publishers_live = 0;
  uint64_t ingest_bytes_total = 0;
  std::vector<core::IngestFigures> connected;
  http::ServerFigures api;
  std::optional<core::LatencyHistogram::Snapshot> key_checks;
  std::optional<WebhookCounts> webhooks;
  std::vector<std::pair<std::string, std::string>> build_info;  // label, value
  std::optional<ProcessFigures> process;
};

// Prometheus text exposition format 0.0.4.
std::string render_metrics(const MetricsInput& input);

// The figures that count database tables (streams by status, the webhook
// outbox), counted at most once per `max_age` however often /metrics is
// scraped: several Prometheus servers scraping every second must not cost a
// count of each table each time. Thread-safe.
class DatabaseFigures {
 public:
  using Clock = std::chrono::steady_clock;
  struct Counts {
    std::map<db::StreamStatus, uint64_t> streams;
    db::DeliveryCounts deliveries;
  };
  explicit DatabaseFigures(Clock::duration max_age) : max_age_(max_age) {}
  // The cached counts, or fresh ones from `count`, which may throw (then
  // nothing is cached and the next scrape tries again).
  Counts get(const std::function<Counts()>& count);

 private:
  const Clock::duration max_age_;
  std::mutex mutex_;
  std::optional<Counts> counts_;
  Clock::time_point counted_at_;
};

}  // namespace looplive::control_api
