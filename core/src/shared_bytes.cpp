#include "looplive/core/shared_bytes.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <utility>

#include "looplive/core/write_all.hpp"

namespace looplive::core {
namespace {

// A sealed memfd and its read-only mapping, released together.
struct MemoryFile {
  int fd = -1;
  void* address = MAP_FAILED;
  size_t size = 0;
  ~MemoryFile() {
    if (address != MAP_FAILED) ::munmap(address, size);
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

SharedBytes::SharedBytes(std::vector<uint8_t>&& bytes) {
  auto owner = std::make_shared<const std::vector<uint8_t>>(std::move(bytes));
  buffer_ = std::shared_ptr<const uint8_t>(owner, owner->data());
  size_ = owner->size();
}

SharedBytes SharedBytes::in_memory_file(std::vector<uint8_t>& bytes) {
  auto file = std::make_shared<MemoryFile>();
  file->size = bytes.size();
  file->fd = ::memfd_create("looplive-media", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  // Sealed against any change, the bytes stay what a socket was promised.
  const bool made =
      !bytes.empty() && file->fd >= 0 && write_all(file->fd, bytes) == 0 &&
      ::fcntl(file->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) ==
          0 &&
      (file->address = ::mmap(nullptr, file->size, PROT_READ, MAP_SHARED, file->fd, 0)) !=
          MAP_FAILED;
  if (!made) return SharedBytes(std::exchange(bytes, {}));
  SharedBytes out;
  out.buffer_ = std::shared_ptr<const uint8_t>(file, static_cast<const uint8_t*>(file->address));
  out.size_ = file->size;
  out.fd_ = file->fd;
  bytes.clear();
  return out;
}

}  // namespace looplive::core
