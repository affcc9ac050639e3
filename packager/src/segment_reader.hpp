#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "looplive/av/ffmpeg_ptr.hpp"
#include "looplive/core/result.hpp"

namespace looplive::packager {

struct AvParametersDeleter {
  void operator()(AVCodecParameters* parameters) const { avcodec_parameters_free(&parameters); }
};
using AvParametersPtr = std::unique_ptr<AVCodecParameters, AvParametersDeleter>;

// Reads one recorded CMAF track back as packets on one increasing timeline.
// Each run (an init segment and the media segments decoded with it) is
// demuxed as a single byte stream straight from the files, so a recording of
// any length needs no more memory than a read buffer, and is moved by its own
// shift. Every run must carry the first run's codec configuration.
class SegmentReader {
 public:
  struct Run {
    std::vector<std::filesystem::path> files;  // the init segment first
    int64_t shift_ms = 0;
  };

  static core::Result<std::unique_ptr<SegmentReader>> open(std::vector<Run> runs);
  SegmentReader(const SegmentReader&) = delete;
  SegmentReader& operator=(const SegmentReader&) = delete;
  ~SegmentReader();

  const AVCodecParameters& parameters() const { return *parameters_; }
  AVRational time_base() const { return time_base_; }
  // The next packet with timestamps in time_base(); false once every run is read.
  core::Result<bool> read(AVPacket* packet);

 private:
  SegmentReader() = default;
  core::Status open_run();
  static int on_read(void* opaque, uint8_t* data, int size);

  std::vector<Run> runs_;
  size_t run_ = 0;
  size_t file_ = 0;
  std::ifstream in_;
  av::AvIoPtr io_;
  av::AvInputPtr input_;  // after io_: closed before its I/O context is freed
  AvParametersPtr parameters_;
  AVRational time_base_{1, 1000};
};

}  // namespace looplive::packager
