#pragma once

#include <mutex>
#include <string>

#include <spdlog/sinks/base_sink.h>

namespace looplive::core {

// Every logger's stderr when it is not a terminal (journald, a file, a pipe).
// A busy origin logs one access line per request, and a write(2) per line,
// under a lock every I/O thread shares, was half of what answering thousands
// of held requests at once cost. So lines below warn are written in batches,
// as nginx's `access_log ... buffer=` does: when 64 KiB have gathered, when a
// warning or an error comes (written at once, after the lines before it),
// and at the periodic flush (once a second, log.buffered). Unbuffered, each
// line goes out as it comes, as before.
class BatchedStderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  ~BatchedStderrSink() override;
  void set_buffered(bool buffered);

 private:
  static constexpr size_t kBatchBytes = 64 * 1024;

  void sink_it_(const spdlog::details::log_msg& message) override;
  void flush_() override;

  std::string pending_;
  bool buffered_ = false;
};

}  // namespace looplive::core
