#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "looplive/control_api/webhooks.hpp"
#include "looplive/core/ingest_figures.hpp"
#include "looplive/core/latency_histogram.hpp"
#include "looplive/db/stream_repository.hpp"
#include "looplive/db/webhook_queue.hpp"
#include "looplive/http/stats.hpp"

namespace looplive::control_api {

// One scrape's figures; database figures are absent when it cannot be reached.
struct MetricsInput {
  bool database_up = false;
  std::optional<std::map<db::StreamStatus, uint64_t>> streams;
  std::optional<db::DeliveryCounts> deliveries;
  size_t publishers_live = 0;
  uint64_t ingest_bytes_total = 0;
  std::vector<core::IngestFigures> connected;
  http::Stats api;
  std::optional<core::LatencyHistogram::Snapshot> key_checks;
  std::optional<WebhookCounters> webhooks;
};

// Prometheus text exposition format 0.0.4.
std::string render_metrics(const MetricsInput& input);

}  // namespace looplive::control_api
