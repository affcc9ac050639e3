#include "batched_stderr_sink.hpp"

#include <unistd.h>

#include <span>

#include "looplive/core/write_all.hpp"

namespace looplive::core {

BatchedStderrSink::~BatchedStderrSink() {
  std::lock_guard lock(mutex_);
  flush_();
}

void BatchedStderrSink::set_buffered(bool buffered) {
  std::lock_guard lock(mutex_);
  buffered_ = buffered;
  if (!buffered_) flush_();
}

void BatchedStderrSink::sink_it_(const spdlog::details::log_msg& message) {
  spdlog::memory_buf_t line;
  formatter_->format(message, line);
  pending_.append(line.data(), line.size());
  if (!buffered_ || message.level >= spdlog::level::warn || pending_.size() >= kBatchBytes)
    flush_();
}

void BatchedStderrSink::flush_() {
  if (pending_.empty()) return;
  // Nowhere to report a failed write to: stderr is where reports go.
  (void)write_all(STDERR_FILENO,
                  std::span(reinterpret_cast<const uint8_t*>(pending_.data()), pending_.size()));
  pending_.clear();
}

}  // namespace looplive::core
