#include "stream_disk.hpp"

#include <system_error>
#include <utility>

#include "looplive/core/log.hpp"

namespace looplive::packager {

StreamDisk::StreamDisk(Settings settings)
    : settings_(std::move(settings)), jobs_(settings_.executor) {}

void StreamDisk::write(std::filesystem::path path, core::SharedBytes bytes, Sync sync) {
  if (!settings_.enabled) return;
  const size_t size = bytes.size();
  queue(size, [this, path = std::move(path), bytes = std::move(bytes), sync] {
    store(path, bytes, sync);
  });
}

void StreamDisk::write(std::filesystem::path path, std::string text, Sync sync) {
  if (!settings_.enabled) return;
  const size_t size = text.size();
  queue(size, [this, path = std::move(path), text = std::move(text), sync] {
    store(path, std::string_view(text), sync);
  });
}

void StreamDisk::queue(size_t bytes, std::function<void()> job) {
  if (given_up_) return;
  const size_t waiting = jobs_.pending();
  const size_t held = queued_bytes_->load(std::memory_order_relaxed);
  if (waiting >= settings_.max_queued_writes || held + bytes > settings_.max_queued_bytes) {
    given_up_ = true;
    fail("the disk fell " + std::to_string(waiting) + " writes (" + std::to_string(held) +
         " bytes) behind; nothing more of this stream is written (its recording ends at "
         "the last segment stored) and viewers are served from memory");
    return;
  }
  queued_bytes_->fetch_add(bytes, std::memory_order_relaxed);
  // The bytes a job holds are counted until it has run.
  jobs_.push([counter = queued_bytes_, bytes, job = std::move(job)] {
    struct Release {
      std::atomic<size_t>& counter;
      size_t bytes;
      ~Release() { counter.fetch_sub(bytes, std::memory_order_relaxed); }
    } release{*counter, bytes};
    job();
  });
}

bool StreamDisk::make_dir() {
  if (dir_made_) return true;
  std::error_code error;
  std::filesystem::create_directories(settings_.live_dir, error);
  if (error) {
    core::logger("packager")
        ->error("{} cannot create {}: {}", core::log_context(settings_.stream_id),
                settings_.live_dir.string(), error.message());
  }
  dir_made_ = !error;
  return dir_made_;
}

// Bytes is text or SharedBytes (copied from its in-memory file inside the kernel).
template <typename Bytes>
bool StreamDisk::store_any(const std::filesystem::path& path, const Bytes& bytes, Sync sync) {
  if (!settings_.enabled) return false;
  make_dir();
  if (core::Status status = write_atomically(path, bytes, sync); !status) {
    fail(status.error().message);
    return false;
  }
  return true;
}

bool StreamDisk::store(const std::filesystem::path& path, const core::SharedBytes& bytes,
                       Sync sync) {
  return store_any(path, bytes, sync);
}

bool StreamDisk::store(const std::filesystem::path& path, std::string_view text, Sync sync) {
  return store_any(path, text, sync);
}

void StreamDisk::sync_dir(const std::filesystem::path& dir) {
  if (core::Status status = sync_directory(dir); !status) fail(status.error().message);
}

void StreamDisk::fail(const std::string& why) {
  errors_.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard lock(failure_mutex_);
    if (first_failure_.empty()) first_failure_ = why;
  }
  core::logger("packager")->error("{} {}", core::log_context(settings_.stream_id), why);
}

std::string StreamDisk::first_failure() const {
  std::lock_guard lock(failure_mutex_);
  return first_failure_;
}

}  // namespace looplive::packager
