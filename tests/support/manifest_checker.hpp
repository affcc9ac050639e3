#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace looplive::test {

// Checks each version of a live stream's playlists and MPD that a test sees
// against what players and caches rely on, and keeps what went wrong:
// - a 200 always carries a whole manifest (#EXTM3U, or an MPD to </MPD>);
// - once a name answered 200, it never answers 404 again while fed;
// - EXT-X-TARGETDURATION and PART-TARGET never change, and every EXTINF
//   (rounded, RFC 8216 section 4.3.3.1) and part duration stays within them;
// - media and discontinuity sequence numbers never go back, and a media
//   sequence number never names another URI;
// - a delta update declares the EXT-X-VERSION its EXT-X-SKIP needs;
// - a live LL-HLS playlist (with EXT-X-PART-INF) ends in a preload hint;
// - an EXT-X-DATERANGE has an ID, a START-DATE and program date times beside
//   it, and keeps the value of every attribute it had when seen again;
// - an MPD segment number never names another time, and a $Time$-addressed
//   segment never changes its duration, within a period.
// The part a live LL-HLS media playlist announces next (EXT-X-PRELOAD-HINT),
// named <prefix>_<msn>_p<part>.m4s.
struct PreloadHint {
  uint64_t msn = 0;
  int64_t part = -1;
  std::string uri;
};
std::optional<PreloadHint> preload_hint(const std::string& playlist);

// The URIs of a media playlist's segments (or a multivariant playlist's
// variants), in the order listed.
std::vector<std::string> segment_uris(const std::string& playlist);

class ManifestChecker {
 public:
  // One answer for a file of the stream ("index.m3u8", "video.m3u8",
  // "manifest.mpd", ...): HTTP status and body.
  void feed(const std::string& name, int status, const std::string& body);
  // The answer to a blocking reload (_HLS_msn=msn, _HLS_part=part when not
  // negative): as feed(), and it must list that segment or part, or a later one.
  void feed_blocking(const std::string& name, uint64_t msn, int64_t part, int status,
                     const std::string& body);

  const std::vector<std::string>& problems() const { return problems_; }
  // Distinct versions of `name` seen with 200.
  size_t versions(const std::string& name) const;

 private:
  struct Seen {
    bool ok_before = false;
    std::string last_body;
    size_t versions = 0;
    int64_t target = -1;
    double part_target = -1;
    int64_t media_sequence = -1;
    int64_t discontinuity_sequence = -1;
    std::map<int64_t, std::string> uris;  // media sequence number -> URI
    // MPD: "period/contentType/number" -> start time, or with $Time$
    // addressing "period/contentType/time" -> duration
    std::map<std::string, int64_t> times;
    // Low-latency MPD: a segment listed while it grows, under the same key ->
    // the duration listed, the most it may turn out to last.
    std::map<std::string, int64_t> growing;
    // EXT-X-DATERANGE by ID -> its attributes as first seen
    std::map<std::string, std::map<std::string, std::string>> dateranges;
    // Live MPD: Period@id -> Period@start as first seen (a static MPD, once
    // the show ended, plays its periods from zero instead)
    std::map<std::string, std::string> period_starts;
  };

  void check_media_playlist(const std::string& name, Seen& seen, const std::string& body);
  void check_daterange(const std::string& name, Seen& seen, std::string_view line,
                       const std::string& body);
  void check_mpd(const std::string& name, Seen& seen, const std::string& body);
  void problem(const std::string& name, const std::string& what);

  std::map<std::string, Seen> seen_;
  std::vector<std::string> problems_;
};

}  // namespace looplive::test
