#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "looplive/core/config.hpp"
#include "looplive/core/packet_sink.hpp"
#include "looplive/packager/live_view.hpp"

namespace looplive::packager {

// Settings that have no place in the configuration file (yet).
struct PackagerOptions {
  // DASH clients sync their clocks against this URL, which must answer with
  // an ISO 8601 UTC time (urn:mpeg:dash:utc:http-iso:2014); the HTTP origin serves it.
  std::string utc_timing_url = "/time";
  // How long, in media time, to wait for a second track before packaging one.
  std::chrono::milliseconds track_wait{1000};
  // A DTS step larger than this, either way, is a timeline break.
  std::chrono::milliseconds jump_threshold{10'000};
  // Unix time in milliseconds for PROGRAM-DATE-TIME and the MPD; the system clock when empty.
  std::function<int64_t()> clock;
};

// Turns each admitted publish into CMAF (video and audio in separate files),
// HLS playlists and a DASH MPD, and keeps an in-memory LiveView of each open
// stream for an HTTP origin. Files under the media root:
//
//   live/<id>/init_v.mp4, init_a.mp4   init segments; init_v_1.mp4 ... after a
//                                      codec change (with a discontinuity)
//   live/<id>/v_<n>.m4s, a_<n>.m4s     media segments, n from 1
//   live/<id>/video.m3u8, audio.m3u8   media playlists over the live window
//   live/<id>/index.m3u8               multivariant playlist
//   live/<id>/manifest.mpd             dynamic MPD; static once the stream ended
//   vods/<id>.m3u8                     recorded streams: multivariant playlist
//   vods/<id>_video.m3u8, _audio.m3u8  recorded streams: VOD media playlists
//   vods/<id>.mpd                      recorded streams: static MPD
//
// The VOD files reference the recorded segments where they already are,
// through relative URIs ("../live/<id>/v_1.m4s", or a BaseURL in the MPD), so
// nothing is stored twice; a recorded stream keeps every segment in live/<id>/.
// Unrecorded streams lose segments one live window after they leave the
// playlists. With write_live_to_disk off, unrecorded streams exist only in the view.
class Packager : public core::SinkFactory {
 public:
  explicit Packager(const core::PackagerConfig& config, PackagerOptions options = {});
  ~Packager() override;
  Packager(const Packager&) = delete;
  Packager& operator=(const Packager&) = delete;

  // A StreamPackager; its calls must be serialized (one strand per publish).
  std::shared_ptr<core::PacketSink> open(const core::PublishGrant& grant) override;
  // The stream's latest view, from any thread; nullptr when no sink for it is open.
  std::shared_ptr<const LiveView> view(const std::string& stream_id) const;

 private:
  struct Registry;
  core::PackagerConfig config_;
  PackagerOptions options_;
  std::unique_ptr<Registry> registry_;
};

}  // namespace looplive::packager
