#pragma once

#include <atomic>
#include <memory>
#include <string_view>

#include <string>

#include "client_identity.hpp"
#include "cors.hpp"
#include "file_kind.hpp"
#include "gzip_cache.hpp"
#include "held_per_thread.hpp"
#include "looplive/http/handler.hpp"
#include "looplive/origin/origin_service.hpp"
#include "route_metrics.hpp"
#include "target.hpp"
#include "viewer_registry.hpp"

namespace looplive::origin {

// Answers one request: routing, the file from memory or disk, CORS, and the
// bookkeeping (viewer activity, route metrics). Stateless between requests
// but for the gzip encodings it keeps, so any number of I/O threads may call
// it at once.
class RequestHandler {
 public:
  RequestHandler(const OriginConfig& config, const LiveSource& source, ViewerRegistry& viewers,
                 RouteMetrics& metrics, HeldPerThread& held, OriginService::Clock clock);

  void operator()(const http::Request& request, const http::Respond& respond) const;
  // Whose X-Forwarded-For is believed (origin.trusted_proxies).
  bool is_trusted_proxy(std::string_view peer) const { return policy()->proxies.contains(peer); }
  // A reload's CORS origins and trusted proxies, for the requests that follow.
  void set_client_policy(const OriginConfig& config);

 private:
  struct Answer {
    http::Response response;
    Route route = Route::other;
    const std::string* viewed_stream = nullptr;  // set when the request is viewing a live stream
  };
  using Started = std::chrono::steady_clock::time_point;
  Answer answer(const http::Request& request, const Target& target) const;
  // CORS, viewer activity and route metrics, then the response.
  void finish(const http::Request& request, Answer result, Started started,
              const http::Respond& respond) const;
  // A live segment not found that is on its way: one being written
  // (LL-DASH), sent as it grows, or the part a preload hint announced
  // (LL-HLS), held until complete; false when it is neither (a 404).
  bool wait_for_segment(const http::Request& request, const Target& target, Started started,
                        const http::Respond& respond) const;
  bool send_growing(const http::Request& request, const Target& target, Started started,
                    const http::Respond& respond) const;
  // An LL-HLS blocking playlist reload (_HLS_msn, _HLS_part); false when
  // this request is not one and is answered the usual way.
  bool wait_for_playlist(const http::Request& request, const Target& target, Started started,
                         const http::Respond& respond) const;
  // From `source`: the origin's, or what a pass over held requests has read.
  Answer live_file(const http::Request& request, const Target& target,
                   const LiveSource& source) const;
  Answer vod_file(const http::Request& request, const Target& target) const;

  const std::string live_dir_;
  const std::string vods_dir_;
  const std::string session_param_;
  const LiveSource& source_;
  ViewerRegistry& viewers_;
  RouteMetrics& metrics_;
  HeldPerThread& held_;
  const std::chrono::milliseconds hold_limit_;  // three target durations (RFC 8216bis 6.2.5.2)
  const OriginService::Clock clock_;
  const CachePolicy cache_;
  // Live playlists and MPDs this long or longer go gzipped to clients that take it.
  static constexpr size_t kMinGzipBytes = 1024;
  // A few texts per live stream: playlists, their delta updates, the MPD.
  mutable GzipCache gzip_{4096, 64 * 1024 * 1024};
  // Swapped whole by a reload while requests are answered on other threads.
  struct ClientPolicy {
    CorsPolicy cors;
    TrustedProxies proxies;
  };
  std::shared_ptr<const ClientPolicy> policy() const { return policy_.load(); }
  std::atomic<std::shared_ptr<const ClientPolicy>> policy_;
};

}  // namespace looplive::origin
