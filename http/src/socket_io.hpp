#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace looplive::http::detail {

// sendfile(2) that cannot raise SIGPIPE: the process may not ignore it, and
// sendfile has no MSG_NOSIGNAL. Advances `offset` by what was sent; returns
// that count, or -1 with errno set.
ssize_t send_file_chunk(int socket, int file, uint64_t& offset, size_t count);

// While corked, the kernel holds partial segments, so a header and the start
// of a file body leave together.
void set_cork(int socket, bool on);

}  // namespace looplive::http::detail
