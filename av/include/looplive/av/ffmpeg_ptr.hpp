#pragma once

#include <memory>
#include <string>

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>
}

#include "looplive/core/result.hpp"

namespace looplive::av {

struct AvPacketDeleter {
  void operator()(AVPacket* packet) const { av_packet_free(&packet); }
};
using AvPacketPtr = std::unique_ptr<AVPacket, AvPacketDeleter>;

struct AvFrameDeleter {
  void operator()(AVFrame* frame) const { av_frame_free(&frame); }
};
using AvFramePtr = std::unique_ptr<AVFrame, AvFrameDeleter>;

// Our custom I/O context owns its buffer, which FFmpeg may have reallocated.
struct AvIoDeleter {
  void operator()(AVIOContext* io) const {
    if (io != nullptr) av_freep(&io->buffer);
    avio_context_free(&io);
  }
};
using AvIoPtr = std::unique_ptr<AVIOContext, AvIoDeleter>;

// Output contexts only; pb is not closed here because it is an AvIoPtr of its own.
struct AvOutputDeleter {
  void operator()(AVFormatContext* context) const { avformat_free_context(context); }
};
using AvOutputPtr = std::unique_ptr<AVFormatContext, AvOutputDeleter>;

struct AvInputDeleter {
  void operator()(AVFormatContext* context) const { avformat_close_input(&context); }
};
using AvInputPtr = std::unique_ptr<AVFormatContext, AvInputDeleter>;

inline std::string av_error_text(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof text);
  return text;
}

inline core::Error av_error(const std::string& step, int code) {
  return core::Error{step + ": " + av_error_text(code)};
}

}  // namespace looplive::av
