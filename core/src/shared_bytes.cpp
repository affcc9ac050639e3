#include "looplive/core/shared_bytes.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <utility>

#include "looplive/core/write_all.hpp"

namespace looplive::core {
namespace {

std::atomic<size_t> g_memory_file_bytes{0};

// A sealed memfd and its read-only mapping, released together.
struct MemoryFile {
  int fd = -1;
  void* address = MAP_FAILED;
  size_t size = 0;
  ~MemoryFile() {
    if (address != MAP_FAILED) ::munmap(address, size);
    if (fd >= 0) {
      ::close(fd);
      g_memory_file_bytes.fetch_sub(size, std::memory_order_relaxed);
    }
  }
};

}  // namespace

size_t memory_file_bytes() {
  return g_memory_file_bytes.load(std::memory_order_relaxed);
}

SharedBytes::SharedBytes(std::vector<uint8_t>&& bytes) {
  auto owner = std::make_shared<const std::vector<uint8_t>>(std::move(bytes));
  buffer_ = std::shared_ptr<const uint8_t>(owner, owner->data());
  size_ = owner->size();
}

MemoryFileBuilder::~MemoryFileBuilder() {
  clear();
}

MemoryFileBuilder& MemoryFileBuilder::operator=(MemoryFileBuilder&& other) noexcept {
  if (this != &other) {
    clear();
    fd_ = std::exchange(other.fd_, -1);
    size_ = std::exchange(other.size_, 0);
    in_memory_ = std::exchange(other.in_memory_, false);
    fallback_ = std::exchange(other.fallback_, {});
  }
  return *this;
}

void MemoryFileBuilder::append(std::span<const std::span<const uint8_t>> pieces) {
  size_t bytes = 0;
  for (const auto& piece : pieces) bytes += piece.size();
  if (bytes == 0) return;
  if (!in_memory_ && fd_ < 0) {
    fd_ = ::memfd_create("looplive-media", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd_ < 0) in_memory_ = true;
  }
  if (!in_memory_ && write_all(fd_, pieces) != 0) fall_back_to_memory();
  if (in_memory_) {
    for (const auto& piece : pieces) fallback_.insert(fallback_.end(), piece.begin(), piece.end());
  } else {
    g_memory_file_bytes.fetch_add(bytes, std::memory_order_relaxed);
  }
  size_ += bytes;
}

// Reads back what the file holds (a failed write may have left a part of
// its pieces at the end: size_ says where the whole ones stop).
void MemoryFileBuilder::fall_back_to_memory() {
  fallback_.resize(size_);
  size_t done = 0;
  while (done < size_) {
    const ssize_t n = ::pread(fd_, fallback_.data() + done, size_ - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    // The file's own pages cannot fail to read back; stop rather than spin if they do.
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(std::exchange(fd_, -1));
  g_memory_file_bytes.fetch_sub(size_, std::memory_order_relaxed);
  in_memory_ = true;
}

SharedBytes MemoryFileBuilder::seal() {
  if (size_ == 0) {
    clear();
    return {};
  }
  if (!in_memory_) {
    auto file = std::make_shared<MemoryFile>();
    file->size = size_;
    // Sealed against any change, the bytes stay what a socket was promised.
    const bool sealed =
        ::fcntl(fd_, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) == 0 &&
        (file->address = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd_, 0)) != MAP_FAILED;
    if (sealed) {
      file->fd = std::exchange(fd_, -1);  // its bytes stay counted, now as the file's
      SharedBytes out;
      out.buffer_ =
          std::shared_ptr<const uint8_t>(file, static_cast<const uint8_t*>(file->address));
      out.size_ = size_;
      out.fd_ = file->fd;
      clear();
      return out;
    }
    fall_back_to_memory();
  }
  SharedBytes out(std::exchange(fallback_, {}));
  clear();
  return out;
}

void MemoryFileBuilder::clear() {
  if (fd_ >= 0) {
    ::close(std::exchange(fd_, -1));
    g_memory_file_bytes.fetch_sub(size_, std::memory_order_relaxed);
  }
  size_ = 0;
  in_memory_ = false;
  fallback_.clear();
}

}  // namespace looplive::core
