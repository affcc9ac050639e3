#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "looplive/core/io_threads.hpp"

#include "looplive/core/shared_bytes.hpp"
#include "looplive/http/server.hpp"
#include "looplive/http/server_figures.hpp"
#include "looplive/origin/config.hpp"

namespace looplive::origin {

// One file of a live stream, held in memory.
struct LiveFile {
  core::SharedBytes bytes;
  std::string etag;  // quoted, e.g. "\"v42\""; derived from the bytes when empty
  std::time_t last_modified = 0;
};

// How the origin reads live streams without knowing the packager. Called
// from any I/O thread, concurrently; it must not block.
class LiveSource {
 public:
  virtual ~LiveSource() = default;
  // A playlist, the MPD, an init or a media segment held in memory, or
  // nullopt when the stream or the file is not there; the origin then falls
  // back to <media_root>/live/<stream_id>/<file> on disk. A stream whose
  // files come from here is live: only those requests count as viewing.
  virtual std::optional<LiveFile> find(const std::string& stream_id,
                                       const std::string& file) const = 0;

  // LL-HLS. A live media playlist's delta update (_HLS_skip=YES, or v2 to
  // skip older date ranges too), or nullopt when it has none and the whole
  // playlist is the answer.
  virtual std::optional<LiveFile> find_delta(const std::string& /*stream_id*/,
                                             const std::string& /*playlist*/,
                                             bool /*skip_dateranges*/) const {
    return std::nullopt;
  }
  // Where a live media playlist has got to: the first segment not yet
  // complete and how many of its parts the playlist lists; nullopt when the
  // playlist is not live (or not low-latency).
  struct PlaylistEdge {
    uint64_t next_msn = 0;
    uint32_t next_part = 0;
  };
  virtual std::optional<PlaylistEdge> playlist_edge(const std::string& /*stream_id*/,
                                                    const std::string& /*playlist*/) const {
    return std::nullopt;
  }
  // Whether `file` is a part the stream's playlists announce (preload hint)
  // that is not complete yet: a request for it waits instead of a 404.
  virtual bool announces(const std::string& /*stream_id*/, const std::string& /*file*/) const {
    return false;
  }

  // Low-latency DASH. A media segment as far as it is written: its chunks so
  // far, in order, joined the first bytes of the segment; `complete` once
  // whole (then its one chunk is the whole segment). nullopt when `file` is
  // neither a segment held in memory nor one the live MPD lists as growing.
  struct GrowingFile {
    std::vector<core::SharedBytes> chunks;
    bool complete = false;
  };
  virtual std::optional<GrowingFile> growing(const std::string& /*stream_id*/,
                                             const std::string& /*file*/) const {
    return std::nullopt;
  }
};

struct ViewerFigures {
  uint64_t current = 0;  // sessions active within the last two target durations
  uint64_t peak = 0;     // the most current ever observed
  uint64_t unique = 0;   // distinct sessions ever
  std::optional<double> average_watch_seconds;  // nullopt before the first session
};

// Serves /live/<id>/..., /vods/..., /healthz and /time over http::Server,
// and measures viewer sessions and per-route request figures.
class OriginService {
 public:
  // Times viewer activity; tests pass a fake one. steady_clock when empty.
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // `source` must outlive every handler the io_contexts may still run.
  OriginService(core::IoContexts io, OriginConfig config, const LiveSource& source,
                Clock clock = {});
  ~OriginService();  // stops
  OriginService(const OriginService&) = delete;
  OriginService& operator=(const OriginService&) = delete;

  // Binds and listens; throws boost::system::system_error.
  void start();
  void stop();  // thread-safe
  // A reload: origin.cors_allowed_origins and origin.trusted_proxies of
  // `config` apply to the requests that follow, and its connection caps
  // (max_connections, _per_ip, _per_proxy) to the connections that follow.
  void set_client_policy(const OriginConfig& config);
  uint16_t port() const;
  http::ServerFigures figures() const;

  ViewerFigures viewers(const std::string& stream_id) const;  // thread-safe
  // A live stream's files changed: requests waiting on it (blocking playlist
  // reloads, preload-hinted parts) that can now be answered are, each on its
  // connection's I/O thread. Thread-safe, and cheap when nothing waits.
  void live_changed(const std::string& stream_id);
  // Requests waiting on live streams right now.
  size_t held_requests() const;
  // Drops a stream's figures, e.g. once they are stored after the stream ended.
  void forget_viewers(const std::string& stream_id);
  // Prometheus text exposition: requests by route and status class, latency
  // histogram per route, viewers per stream, connection figures.
  std::string metrics_text() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace looplive::origin
