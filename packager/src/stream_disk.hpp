#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "atomic_file.hpp"
#include "looplive/core/shared_bytes.hpp"
#include "serial_jobs.hpp"

namespace looplive::packager {

// One stream's files under its live directory, written in order by a
// SerialJobs so the thread that packages never waits on the disk. The queue
// is bounded: past it the stream stops writing for good, so its recording
// ends at the last segment stored and a slow or failing disk costs at most
// the queue's memory. The live window and the recorder share it.
class StreamDisk {
 public:
  struct Settings {
    std::filesystem::path live_dir;
    std::string stream_id;
    bool enabled = true;  // false: nothing is written, store() fails
    size_t max_queued_writes = 1024;
    size_t max_queued_bytes = 64 * 1024 * 1024;
    DiskExecutor executor;  // empty: write on the caller's thread
  };

  explicit StreamDisk(Settings settings);
  StreamDisk(const StreamDisk&) = delete;
  StreamDisk& operator=(const StreamDisk&) = delete;

  const std::filesystem::path& live_dir() const { return settings_.live_dir; }
  bool enabled() const { return settings_.enabled; }

  // Queue a file write.
  void write(std::filesystem::path path, core::SharedBytes bytes, Sync sync);
  void write(std::filesystem::path path, std::string text, Sync sync);
  // Queues a job holding `bytes` of data, counted against the bound until it has run.
  void queue(size_t bytes, std::function<void()> job);
  // Returns once every queued job has run.
  void drain() { jobs_.drain(); }

  // For jobs, and for the caller once drained. A failure is counted and logged.
  bool store(const std::filesystem::path& path, const core::SharedBytes& bytes, Sync sync);
  bool store(const std::filesystem::path& path, std::string_view text, Sync sync);
  void sync_dir(const std::filesystem::path& dir);
  void fail(const std::string& why);

  uint64_t errors() const { return errors_.load(std::memory_order_relaxed); }
  std::string first_failure() const;

 private:
  bool make_dir();
  template <typename Bytes>
  bool store_any(const std::filesystem::path& path, const Bytes& bytes, Sync sync);

  Settings settings_;
  std::atomic<uint64_t> errors_{0};
  mutable std::mutex failure_mutex_;
  std::string first_failure_;  // why the first write failed
  bool dir_made_ = false;      // jobs only
  bool given_up_ = false;      // the disk fell too far behind: no more writes
  // Bytes the queued writes hold; shared with the jobs, which may run after this is gone.
  std::shared_ptr<std::atomic<size_t>> queued_bytes_ = std::make_shared<std::atomic<size_t>>(0);
  SerialJobs jobs_;  // last: destroyed first, before what its jobs touch
};

}  // namespace looplive::packager
