// GET /healthz, GET /readyz, GET /metrics.
#include "context.hpp"
#include "metrics.hpp"
#include "router.hpp"

namespace looplive::control_api {

namespace {

void healthz(Context&, const http::Request&, const Params&, http::Respond respond) {
  respond(json_response(bhttp::status::ok, {{"status", "ok"}}));
}

void readyz(Context& context, const http::Request&, const Params&, http::Respond respond) {
  // A load balancer stops sending publishers and viewers here before they are told to go.
  if (context.deps.draining && context.deps.draining()) {
    return respond(json_response(
        bhttp::status::service_unavailable,
        {{"error", {{"code", "draining"}, {"message", "The server is shutting down."}}},
         {"checks", {{"server", "draining"}}}}));
  }
  context.blocking(std::move(respond), [&context] {
    const bool database = context.deps.database.ping();
    const bool listeners = !context.deps.listeners_up || context.deps.listeners_up();
    nlohmann::json checks{{"database", database ? "ok" : "unreachable"},
                          {"listeners", listeners ? "ok" : "down"}};
    if (database && listeners)
      return json_response(bhttp::status::ok, {{"status", "ready"}, {"checks", checks}});
    auto body = nlohmann::json{
        {"error",
         {{"code", "not_ready"},
          {"message", database ? "A listener is not up." : "The database cannot be reached."}}},
        {"checks", checks}};
    return json_response(bhttp::status::service_unavailable, body);
  });
}

void metrics(Context& context, const http::Request&, const Params&, http::Respond respond) {
  context.blocking(std::move(respond), [&context] {
    MetricsInput input;
    const auto& deps = context.deps;
    try {
      auto counts = context.database_figures.get([&deps] {
        return DatabaseFigures::Counts{deps.streams.count_by_status(), deps.webhook_queue.counts()};
      });
      input.streams = std::move(counts.streams);
      input.deliveries = counts.deliveries;
      input.database_up = true;
    } catch (const std::exception& error) {
      context.log->warn("metrics without database figures: {}", error.what());
    }
    input.publishers_live = deps.registry.live_count();
    input.ingest_bytes_total = deps.figures.total_bytes();
    input.connected = deps.figures.connected();
    if (context.http_figures) input.api = context.http_figures();
    if (deps.key_checks) input.key_checks = deps.key_checks->snapshot();
    if (deps.webhooks) input.webhooks = deps.webhooks->counts();
    input.build_info = context.settings.build_info;
    input.process = read_process_figures();
    std::string text = render_metrics(input);
    if (deps.extra_metrics) text += deps.extra_metrics();
    return http::Response(bhttp::status::ok, std::move(text),
                          "text/plain; version=0.0.4; charset=utf-8");
  });
}

}  // namespace

void add_ops_routes(Router& router) {
  router.add(bhttp::verb::get, "/healthz", Access::open, healthz);
  router.add(bhttp::verb::get, "/readyz", Access::open, readyz);
  router.add(bhttp::verb::get, "/metrics", Access::metrics, metrics);
}

}  // namespace looplive::control_api
