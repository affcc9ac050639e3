#include "segment_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <utility>

extern "C" {
#include <libavutil/mathematics.h>
}

namespace looplive::packager {
namespace {

constexpr int kIoBufferSize = 64 * 1024;
constexpr AVRational kMilliseconds{1, 1000};

bool same_configuration(const AVCodecParameters& a, const AVCodecParameters& b) {
  return a.codec_id == b.codec_id && a.width == b.width && a.height == b.height &&
         a.sample_rate == b.sample_rate && a.ch_layout.nb_channels == b.ch_layout.nb_channels &&
         a.extradata_size == b.extradata_size &&
         std::equal(a.extradata, a.extradata + a.extradata_size, b.extradata);
}

}  // namespace

SegmentReader::~SegmentReader() = default;

core::Result<std::unique_ptr<SegmentReader>> SegmentReader::open(std::vector<Run> runs) {
  if (runs.empty()) return core::Error{"no segments"};
  std::unique_ptr<SegmentReader> reader(new SegmentReader());
  reader->runs_ = std::move(runs);
  if (core::Status status = reader->open_run(); !status) return status.error();
  return reader;
}

core::Status SegmentReader::open_run() {
  input_.reset();
  io_.reset();
  in_ = std::ifstream();
  file_ = 0;
  auto* buffer = static_cast<uint8_t*>(av_malloc(kIoBufferSize));
  if (buffer == nullptr) return core::Error{"out of memory"};
  io_.reset(avio_alloc_context(buffer, kIoBufferSize, 0, this, &on_read, nullptr, nullptr));
  if (!io_) {
    av_free(buffer);
    return core::Error{"out of memory"};
  }
  AVFormatContext* raw = avformat_alloc_context();
  if (raw == nullptr) return core::Error{"out of memory"};
  raw->pb = io_.get();
  raw->flags |= AVFMT_FLAG_CUSTOM_IO;
  const std::string first = runs_[run_].files.front().string();
  // On failure avformat_open_input frees the context but leaves our I/O alone.
  if (int rc = avformat_open_input(&raw, nullptr, av_find_input_format("mp4"), nullptr); rc < 0) {
    return av::av_error(first, rc);
  }
  input_.reset(raw);
  if (input_->nb_streams != 1) return core::Error{first + ": not a single-track file"};
  const AVStream* stream = input_->streams[0];
  if (!parameters_) {
    parameters_.reset(avcodec_parameters_alloc());
    if (!parameters_) return core::Error{"out of memory"};
    if (int rc = avcodec_parameters_copy(parameters_.get(), stream->codecpar); rc < 0) {
      return av::av_error("copy parameters", rc);
    }
    time_base_ = stream->time_base;
  } else if (!same_configuration(*parameters_, *stream->codecpar)) {
    return core::Error{first + ": codec configuration differs from the first segment's"};
  }
  return core::Ok{};
}

core::Result<bool> SegmentReader::read(AVPacket* packet) {
  while (run_ < runs_.size()) {
    const int rc = av_read_frame(input_.get(), packet);
    if (rc == AVERROR_EOF) {
      if (++run_ == runs_.size()) break;
      if (core::Status status = open_run(); !status) return status.error();
      continue;
    }
    if (rc < 0) return av::av_error("read " + runs_[run_].files.front().string(), rc);
    av_packet_rescale_ts(packet, input_->streams[0]->time_base, time_base_);
    const int64_t shift = av_rescale_q(runs_[run_].shift_ms, kMilliseconds, time_base_);
    if (packet->dts != AV_NOPTS_VALUE) packet->dts += shift;
    if (packet->pts != AV_NOPTS_VALUE) packet->pts += shift;
    packet->stream_index = 0;
    return true;
  }
  input_.reset();
  io_.reset();
  return false;
}

int SegmentReader::on_read(void* opaque, uint8_t* data, int size) {
  auto* self = static_cast<SegmentReader*>(opaque);
  const auto& files = self->runs_[self->run_].files;
  while (true) {
    if (!self->in_.is_open()) {
      if (self->file_ == files.size()) return AVERROR_EOF;
      self->in_.open(files[self->file_++], std::ios::binary);
      if (!self->in_.is_open()) return AVERROR(ENOENT);
    }
    self->in_.read(reinterpret_cast<char*>(data), size);
    const auto got = static_cast<int>(self->in_.gcount());
    if (got > 0) return got;
    if (self->in_.bad()) return AVERROR(EIO);
    self->in_.close();
  }
}

}  // namespace looplive::packager
