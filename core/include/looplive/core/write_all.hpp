#pragma once

#include <cstdint>
#include <span>

namespace looplive::core {

// Writes every byte to a blocking descriptor, through short writes and
// EINTR. Returns 0, or the errno of the write that failed.
int write_all(int fd, std::span<const uint8_t> bytes);

}  // namespace looplive::core
