#include "looplive/core/shared_bytes.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <span>
#include <utility>

#include "looplive/core/write_all.hpp"

namespace looplive::core {
namespace {

std::atomic<size_t> g_memory_file_bytes{0};

// Reads [offset, offset + out.size()) of `fd`. A memfd's own pages cannot fail
// to read back; were they to, it stops rather than spin and the rest stays zeros.
void read_exactly(int fd, std::span<uint8_t> out, size_t offset) {
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n =
        ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// A builder's file, made with its first bytes; false when none can be (the
// bytes gather in memory then).
bool has_file(int& fd, bool& in_memory) {
  if (!in_memory && fd < 0) {
    fd = ::memfd_create("looplive-media", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) in_memory = true;
  }
  return !in_memory;
}

}  // namespace

namespace detail {

// A sealed memfd and, once read, its read-only mapping, released together.
struct MemoryFile {
  int fd = -1;
  size_t size = 0;
  std::once_flag read_once;
  void* mapping = MAP_FAILED;
  std::vector<uint8_t> copy;  // the bytes, should no mapping be possible (out of address space)
  const uint8_t* address = nullptr;

  const uint8_t* bytes() {
    std::call_once(read_once, [this] {
      mapping = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
      if (mapping != MAP_FAILED) {
        address = static_cast<const uint8_t*>(mapping);
        return;
      }
      copy.resize(size);
      read_exactly(fd, copy, 0);
      address = copy.data();
    });
    return address;
  }

  ~MemoryFile() {
    if (mapping != MAP_FAILED) ::munmap(mapping, size);
    if (fd >= 0) {
      ::close(fd);
      g_memory_file_bytes.fetch_sub(size, std::memory_order_relaxed);
    }
  }
};

}  // namespace detail

const uint8_t* SharedBytes::mapped() const {
  return file_->bytes();
}

size_t memory_file_bytes() {
  return g_memory_file_bytes.load(std::memory_order_relaxed);
}

SharedBytes::SharedBytes(std::vector<uint8_t>&& bytes) {
  auto owner = std::make_shared<const std::vector<uint8_t>>(std::move(bytes));
  buffer_ = std::shared_ptr<const uint8_t>(owner, owner->data());
  size_ = owner->size();
}

SharedBytes::SharedBytes(std::string&& text) {
  if (text.empty()) return;
  auto owner = std::make_shared<const std::string>(std::move(text));
  buffer_ = std::shared_ptr<const uint8_t>(owner, reinterpret_cast<const uint8_t*>(owner->data()));
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
  if (has_file(fd_, in_memory_) && write_all(fd_, pieces) != 0) fall_back_to_memory();
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
  read_exactly(fd_, fallback_, 0);
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
    // Sealed against any change, the bytes stay what a socket was promised.
    if (::fcntl(fd_, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) == 0) {
      auto file = std::make_shared<detail::MemoryFile>();
      file->size = size_;
      file->fd = std::exchange(fd_, -1);  // its bytes stay counted, now as the file's
      SharedBytes out;
      out.fd_ = file->fd;
      out.file_ = std::move(file);
      out.size_ = size_;
      clear();
      return out;
    }
    fall_back_to_memory();
  }
  SharedBytes out(std::exchange(fallback_, {}));
  clear();
  return out;
}

void MemoryFileBuilder::append(const SharedBytes& bytes) {
  if (bytes.empty()) return;
  if (bytes.fd() < 0 || !has_file(fd_, in_memory_)) return append(bytes.span());
  // Appended at the file's position, which every write leaves at its end.
  if (copy_all(fd_, bytes.fd(), bytes.file_offset(), bytes.size()) != 0) {
    fall_back_to_memory();
    return append(bytes.span());
  }
  g_memory_file_bytes.fetch_add(bytes.size(), std::memory_order_relaxed);
  size_ += bytes.size();
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
