#include "metrics.hpp"

#include <spdlog/fmt/fmt.h>

namespace looplive::control_api {

namespace {

// A label value as the text format escapes it: backslash, quote and newline.
std::string label_value(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

class Writer {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  void sample(std::string_view name, std::string_view labels, double value) {
    if (labels.empty())
      out_ += fmt::format("{} {}\n", name, value);
    else
      out_ += fmt::format("{}{{{}}} {}\n", name, labels, value);
  }
  template <size_t N>
  void histogram(std::string_view name, const std::array<double, N>& bounds,
                 const uint64_t* buckets, uint64_t count, double sum, double divisor) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i < N; ++i) {
      cumulative += buckets[i];
      sample(std::string(name) + "_bucket", fmt::format("le=\"{}\"", bounds[i] / divisor),
             static_cast<double>(cumulative));
    }
    sample(std::string(name) + "_bucket", "le=\"+Inf\"", static_cast<double>(count));
    sample(std::string(name) + "_sum", "", sum);
    sample(std::string(name) + "_count", "", static_cast<double>(count));
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

void stream_metrics(Writer& w, const MetricsInput& in) {
  w.family("looplive_database_up", "gauge",
           "1 when PostgreSQL answered the table counts, taken at most every 10 s.");
  w.sample("looplive_database_up", "", in.database_up ? 1 : 0);
  if (in.streams) {
    w.family("looplive_streams", "gauge", "Streams by status.");
    for (const auto& [status, count] : *in.streams)
      w.sample("looplive_streams", fmt::format("status=\"{}\"", db::status_name(status)),
               static_cast<double>(count));
  }
  w.family("looplive_publishers_live", "gauge", "Publishers connected now.");
  w.sample("looplive_publishers_live", "", static_cast<double>(in.publishers_live));
  w.family("looplive_ingest_bytes_total", "counter",
           "Media bytes received from publishers since start-up (as of their last report).");
  w.sample("looplive_ingest_bytes_total", "", static_cast<double>(in.ingest_bytes_total));
  // Base units, and `stream` as the origin's viewer figures name it.
  w.family("looplive_ingest_bitrate_bits_per_second", "gauge",
           "Bitrate of each connected publisher over its last stats interval.");
  for (const auto& figures : in.connected)
    w.sample("looplive_ingest_bitrate_bits_per_second",
             fmt::format("stream=\"{}\"", label_value(figures.stream_id)),
             figures.bitrate_kbps * 1000);
}

void api_metrics(Writer& w, const MetricsInput& in) {
  w.family("looplive_api_requests_total", "counter", "Control API responses by status class.");
  w.sample("looplive_api_requests_total", "code=\"2xx\"",
           static_cast<double>(in.api.responses_2xx));
  w.sample("looplive_api_requests_total", "code=\"3xx\"",
           static_cast<double>(in.api.responses_3xx));
  w.sample("looplive_api_requests_total", "code=\"4xx\"",
           static_cast<double>(in.api.responses_4xx));
  w.sample("looplive_api_requests_total", "code=\"5xx\"",
           static_cast<double>(in.api.responses_5xx));
  w.family("looplive_api_request_duration_seconds", "histogram",
           "Control API latency, from the request read to the response written.");
  w.histogram("looplive_api_request_duration_seconds", http::ServerFigures::kLatencyBoundsMs,
              in.api.latency_buckets.data(), in.api.responses(), in.api.latency_sum_ms / 1000.0,
              1000);
  w.family("looplive_api_connections_cut_total", "counter",
           "Control API connections cut for holding more than a connection may: a request head "
           "or body over its limit.");
  w.sample("looplive_api_connections_cut_total", "reason=\"memory\"",
           static_cast<double>(in.api.connections_cut));
  if (in.key_checks) {
    w.family("looplive_key_check_duration_seconds", "histogram",
             "Stream key checks against PostgreSQL, from the question to the verdict.");
    w.histogram("looplive_key_check_duration_seconds", core::LatencyHistogram::kBoundsSeconds,
                in.key_checks->buckets.data(), in.key_checks->count, in.key_checks->sum_seconds, 1);
  }
}

void webhook_metrics(Writer& w, const MetricsInput& in) {
  if (in.webhooks) {
    w.family("looplive_webhook_deliveries_total", "counter",
             "Webhook delivery attempts since start-up by result: delivered, failed (to be "
             "retried), abandoned (after the last attempt).");
    w.sample("looplive_webhook_deliveries_total", "result=\"delivered\"",
             static_cast<double>(in.webhooks->delivered));
    w.sample("looplive_webhook_deliveries_total", "result=\"failed\"",
             static_cast<double>(in.webhooks->failed_attempts));
    w.sample("looplive_webhook_deliveries_total", "result=\"abandoned\"",
             static_cast<double>(in.webhooks->abandoned));
  }
  if (in.deliveries) {
    w.family("looplive_webhook_queue", "gauge",
             "Webhook deliveries in the PostgreSQL outbox by state.");
    w.sample("looplive_webhook_queue", "state=\"pending\"",
             static_cast<double>(in.deliveries->pending));
    w.sample("looplive_webhook_queue", "state=\"delivered\"",
             static_cast<double>(in.deliveries->delivered));
    w.sample("looplive_webhook_queue", "state=\"failed\"",
             static_cast<double>(in.deliveries->failed));
  }
}

void process_metrics(Writer& w, const ProcessFigures& p) {
  w.family("process_cpu_seconds_total", "counter", "User and system CPU time spent, in seconds.");
  w.sample("process_cpu_seconds_total", "", p.cpu_seconds);
  w.family("process_resident_memory_bytes", "gauge",
           "Resident memory (in-memory segment files, not mapped, are not in it).");
  w.sample("process_resident_memory_bytes", "", p.resident_bytes);
  w.family("process_virtual_memory_bytes", "gauge", "Virtual memory size.");
  w.sample("process_virtual_memory_bytes", "", p.virtual_bytes);
  w.family("process_open_fds", "gauge",
           "Open file descriptors: connections and in-memory segment files among them.");
  w.sample("process_open_fds", "", p.open_fds);
  w.family("process_max_fds", "gauge", "The limit on open file descriptors.");
  w.sample("process_max_fds", "", p.max_fds);
  w.family("process_start_time_seconds", "gauge", "Start time of the process, in Unix seconds.");
  w.sample("process_start_time_seconds", "", p.start_time_seconds);
  w.family("looplive_memory_file_bytes", "gauge",
           "Live segments and parts held in in-memory files (memfd): memory the process holds "
           "beside process_resident_memory_bytes, which does not count them.");
  w.sample("looplive_memory_file_bytes", "", p.memory_file_bytes);
}

}  // namespace

std::string render_metrics(const MetricsInput& input) {
  Writer writer;
  if (!input.build_info.empty()) {
    std::string labels;
    for (const auto& [name, value] : input.build_info) {
      if (!labels.empty()) labels += ',';
      labels += name + "=\"" + label_value(value) + "\"";
    }
    writer.family("looplive_build_info", "gauge",
                  "The versions of looplive and the libraries it runs with; always 1.");
    writer.sample("looplive_build_info", labels, 1);
  }
  stream_metrics(writer, input);
  api_metrics(writer, input);
  webhook_metrics(writer, input);
  if (input.process) process_metrics(writer, *input.process);
  return writer.take();
}

DatabaseFigures::Counts DatabaseFigures::get(const std::function<Counts()>& count) {
  std::lock_guard lock(mutex_);
  const auto now = Clock::now();
  if (!counts_ || now - counted_at_ >= max_age_) {
    counts_.reset();
    counts_ = count();
    counted_at_ = now;
  }
  return *counts_;
}

}  // namespace looplive::control_api
