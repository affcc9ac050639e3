#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "looplive/av/ffmpeg_ptr.hpp"
#include "looplive/core/media_types.hpp"
#include "looplive/core/result.hpp"
#include "looplive/core/shared_bytes.hpp"

namespace looplive::packager {

// One track as CMAF, entirely in memory: an init segment (ftyp + empty moov,
// written by libavformat's mp4 muxer) once, then a moof + mdat fragment per flush.
class CmafTrackMuxer {
 public:
  static core::Result<std::unique_ptr<CmafTrackMuxer>> open(const core::TrackInfo& track);

  CmafTrackMuxer(const CmafTrackMuxer&) = delete;
  CmafTrackMuxer& operator=(const CmafTrackMuxer&) = delete;
  ~CmafTrackMuxer();

  const core::SharedBytes& init_segment() const { return init_; }

  // Timestamps and duration in milliseconds. The duration must be known
  // because a fragment's last sample takes its length from the packet alone.
  // The payload is held, not copied, until the fragment is flushed.
  core::Status write(const core::MediaPacket& packet, int64_t duration_ms);
  // Appends everything written since the previous flush, as one moof + mdat,
  // to `segment` (nothing when nothing was written): each sample is copied
  // once, into that in-memory file (the packager gives it a part's).
  core::Status flush_fragment(core::MemoryFileBuilder& segment);
  // Samples are waiting for the next flush_fragment().
  bool pending() const { return !samples_.empty(); }

 private:
  struct Sample {
    uint32_t duration;
    uint32_t size;
    uint32_t flags;
    int32_t composition_offset;
  };

  CmafTrackMuxer() = default;
  core::Status start(const core::TrackInfo& track);
  static int on_write(void* opaque, uint8_t* data, int size);

  AVRational time_base_{1, 1000};  // the muxer picks its own timescale for the header
  core::SharedBytes init_;
  core::Codec codec_ = core::Codec::h264;
  bool audio_ = false;
  uint32_t sequence_ = 0;     // mfhd sequence number of the last fragment
  int64_t fragment_dts_ = 0;  // decode time of the fragment's first sample
  std::optional<int64_t> last_dts_;
  std::vector<Sample> samples_;  // of the fragment being gathered
  std::vector<core::SharedBytes> payloads_;
  std::vector<uint8_t> header_;  // moof and the mdat header, kept for their capacity
  std::vector<std::span<const uint8_t>> pieces_;
};

}  // namespace looplive::packager
