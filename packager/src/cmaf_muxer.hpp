#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "ffmpeg_ptr.hpp"
#include "looplive/core/media_types.hpp"
#include "looplive/core/result.hpp"
#include "looplive/core/shared_bytes.hpp"

namespace looplive::packager {

// One track muxed to CMAF by libavformat's mp4 muxer, entirely in memory: an
// init segment (ftyp + empty moov) once, then a moof + mdat fragment per flush.
// Not movable: FFmpeg's write callback points at the object.
class CmafTrackMuxer {
 public:
  static core::Result<std::unique_ptr<CmafTrackMuxer>> open(const core::TrackInfo& track);

  CmafTrackMuxer(const CmafTrackMuxer&) = delete;
  CmafTrackMuxer& operator=(const CmafTrackMuxer&) = delete;
  ~CmafTrackMuxer();

  const core::SharedBytes& init_segment() const { return init_; }

  // Timestamps and duration in milliseconds. The duration must be known
  // because a fragment's last sample takes its length from the packet alone.
  core::Status write(const core::MediaPacket& packet, int64_t duration_ms);
  // Appends everything written since the previous flush, as one moof + mdat,
  // to `out` (nothing when nothing was written). The muxer writes straight
  // into `out`, so a segment is assembled without copying its fragments.
  core::Status flush_fragment(std::vector<uint8_t>& out);

 private:
  CmafTrackMuxer() = default;
  core::Status start(const core::TrackInfo& track);
  static int on_write(void* opaque, uint8_t* data, int size);

  AvIoPtr io_;
  AvOutputPtr context_;
  AvPacketPtr packet_;
  AVRational time_base_{1, 1000};           // the muxer picks its own after the header
  std::vector<uint8_t> header_;             // the init segment while it is written
  std::vector<uint8_t>* output_ = nullptr;  // where on_write appends
  core::SharedBytes init_;
  bool audio_ = false;
  bool pending_ = false;  // samples written since the last flush
};

}  // namespace looplive::packager
