#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace looplive::core {

// Writes every byte to a blocking descriptor, through short writes and
// EINTR. Returns 0, or the errno of the write that failed.
int write_all(int fd, std::span<const uint8_t> bytes);
// The same for pieces written one after another, gathered into as few
// system calls as the platform allows.
int write_all(int fd, std::span<const std::span<const uint8_t>> pieces);
// Copies `size` bytes of the file `in` from `offset` to `out`, inside the
// kernel: the bytes never pass through a user-space mapping, which a write
// from an unfaulted mapping would fault in page by page. Returns 0 or an errno.
int copy_all(int out, int in, size_t offset, size_t size);

}  // namespace looplive::core
