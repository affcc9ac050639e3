#include "route_metrics.hpp"

#include <spdlog/fmt/fmt.h>

namespace looplive::origin {

namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

}  // namespace

void RouteMetrics::record(Route route, unsigned status,
                          std::chrono::steady_clock::duration elapsed) {
  auto& counters = routes_[size_t(route)];
  unsigned status_class = status / 100;
  if (status_class >= 1 && status_class <= 5)
    counters.by_class[status_class - 1].fetch_add(1, kRelaxed);
  double seconds = std::chrono::duration<double>(elapsed).count();
  size_t bucket = 0;
  while (bucket < kBoundsSeconds.size() && seconds > kBoundsSeconds[bucket]) ++bucket;
  counters.buckets[bucket].fetch_add(1, kRelaxed);
  counters.sum_ns.fetch_add(
      uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()), kRelaxed);
}

uint64_t RouteMetrics::requests(Route route, unsigned status_class) const {
  if (status_class < 1 || status_class > 5) return 0;
  return routes_[size_t(route)].by_class[status_class - 1].load(kRelaxed);
}

std::string RouteMetrics::text() const {
  std::string out;
  out += "# HELP looplive_origin_requests_total Origin HTTP requests by route and status class.\n";
  out += "# TYPE looplive_origin_requests_total counter\n";
  for (size_t r = 0; r < kRouteCount; ++r)
    for (unsigned c = 1; c <= 5; ++c)
      if (uint64_t n = requests(Route(r), c))
        out += fmt::format("looplive_origin_requests_total{{route=\"{}\",code=\"{}xx\"}} {}\n",
                           route_name(Route(r)), c, n);

  out += "# HELP looplive_origin_request_duration_seconds Time to answer, by route.\n";
  out += "# TYPE looplive_origin_request_duration_seconds histogram\n";
  for (size_t r = 0; r < kRouteCount; ++r) {
    const auto& counters = routes_[r];
    auto name = route_name(Route(r));
    uint64_t cumulative = 0;
    for (size_t b = 0; b < counters.buckets.size(); ++b) {
      cumulative += counters.buckets[b].load(kRelaxed);
      std::string le = b < kBoundsSeconds.size() ? fmt::format("{}", kBoundsSeconds[b]) : "+Inf";
      out += fmt::format(
          "looplive_origin_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", name,
          le, cumulative);
    }
    out += fmt::format("looplive_origin_request_duration_seconds_sum{{route=\"{}\"}} {}\n", name,
                       double(counters.sum_ns.load(kRelaxed)) / 1e9);
    out += fmt::format("looplive_origin_request_duration_seconds_count{{route=\"{}\"}} {}\n", name,
                       cumulative);
  }
  return out;
}

}  // namespace looplive::origin
