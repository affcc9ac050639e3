#include "looplive/av/log.hpp"

#include <cstdarg>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

extern "C" {
#include <libavutil/log.h>
}

#include "looplive/core/log.hpp"

namespace looplive::av {
namespace {

spdlog::logger* ffmpeg_logger = nullptr;

spdlog::level::level_enum level_of(int av_level) {
  if (av_level <= AV_LOG_FATAL) return spdlog::level::critical;
  if (av_level <= AV_LOG_ERROR) return spdlog::level::err;
  if (av_level <= AV_LOG_WARNING) return spdlog::level::warn;
  if (av_level <= AV_LOG_INFO) return spdlog::level::info;
  if (av_level <= AV_LOG_DEBUG) return spdlog::level::debug;
  return spdlog::level::trace;
}

void on_log(void* object, int av_level, const char* format, va_list arguments) {
  const spdlog::level::level_enum level = level_of(av_level);
  if (!ffmpeg_logger->should_log(level)) return;
  // FFmpeg sometimes builds one line over several calls; keep the pieces
  // until the newline so each line is one record.
  thread_local std::string pending;
  thread_local int print_prefix = 1;
  char piece[1024];
  va_list copy;
  va_copy(copy, arguments);
  av_log_format_line2(object, av_level, format, copy, piece, sizeof piece, &print_prefix);
  va_end(copy);
  pending += piece;
  for (size_t end = pending.find('\n'); end != std::string::npos; end = pending.find('\n')) {
    std::string_view line(pending.data(), end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) ffmpeg_logger->log(level, "{}", line);
    pending.erase(0, end + 1);
  }
}

}  // namespace

void route_ffmpeg_logs() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Never destroyed: FFmpeg may log from any thread until the process is gone.
    static const auto* keeper = new std::shared_ptr<spdlog::logger>(core::logger("ffmpeg"));
    ffmpeg_logger = keeper->get();
    av_log_set_callback(&on_log);
  });
}

}  // namespace looplive::av
