#include "looplive/core/write_all.hpp"

#include <limits.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

namespace looplive::core {

int write_all(int fd, std::span<const uint8_t> bytes) {
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    written += static_cast<size_t>(n);
  }
  return 0;
}

int write_all(int fd, std::span<const std::span<const uint8_t>> pieces) {
  constexpr size_t kBatch = 64;  // well under IOV_MAX
  static_assert(kBatch <= IOV_MAX);
  size_t next = 0;  // the first piece not yet wholly written
  size_t skip = 0;  // bytes of pieces[next] already written
  while (next < pieces.size()) {
    std::array<iovec, kBatch> batch;
    size_t count = 0;
    for (size_t i = next; i < pieces.size() && count < kBatch; ++i) {
      const size_t from = i == next ? skip : 0;
      if (pieces[i].size() == from) continue;
      batch[count++] = {const_cast<uint8_t*>(pieces[i].data() + from), pieces[i].size() - from};
    }
    if (count == 0) break;
    const ssize_t n = ::writev(fd, batch.data(), static_cast<int>(count));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return EIO;
    // Step past what the kernel took, which may end inside a piece.
    size_t left = static_cast<size_t>(n);
    while (next < pieces.size() && left >= pieces[next].size() - skip) {
      left -= pieces[next].size() - skip;
      skip = 0;
      ++next;
    }
    skip += left;
  }
  return 0;
}

int copy_all(int out, int in, size_t offset, size_t size) {
  auto position = static_cast<off_t>(offset);
  size_t left = size;
  while (left > 0) {
    const ssize_t n = ::sendfile(out, in, &position, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return EIO;  // the file is shorter than it was said to be
    left -= static_cast<size_t>(n);
  }
  return 0;
}

}  // namespace looplive::core
