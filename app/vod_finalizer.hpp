#pragma once

#include <optional>
#include <string>

namespace looplive::packager {
class Packager;
}
namespace looplive::db {
class TagRepository;
}

namespace looplive::app {

struct VodResult {
  bool recorded = false;
  std::optional<std::string> vod_playlist;     // relative to the media root: "vods/<id>.m3u8"
  double duration_seconds = 0;                 // 0 when unknown
  std::optional<std::string> recording_error;  // see packager::EndResult
};

// Finalizes a stream's playlists and recording through the packager. Without
// one (tests that replace it with their own sink) there is nothing to finalize.
// Both calls block on file writes and the MP4 remux: blocking pool only. The
// replay lists the stream's product tags as stored in `tags` (when given),
// those placed before a restart included.
class VodFinalizer {
 public:
  explicit VodFinalizer(packager::Packager* packager, db::TagRepository* tags = nullptr)
      : packager_(packager), tags_(tags) {}

  // A stream this process packaged.
  VodResult end(const std::string& stream_id);
  // A stream a previous run left behind, from what is on disk.
  VodResult recover(const std::string& stream_id, bool recorded);

 private:
  packager::Packager* packager_;
  db::TagRepository* tags_;
};

}  // namespace looplive::app
