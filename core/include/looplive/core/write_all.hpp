#pragma once

#include <cstdint>
#include <span>

namespace looplive::core {

// Writes every byte to a blocking descriptor, through short writes and
// EINTR. Returns 0, or the errno of the write that failed.
int write_all(int fd, std::span<const uint8_t> bytes);
// The same for pieces written one after another, gathered into as few
// system calls as the platform allows.
int write_all(int fd, std::span<const std::span<const uint8_t>> pieces);

}  // namespace looplive::core
