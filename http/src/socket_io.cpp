#include "socket_io.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include <cerrno>
#include <ctime>

namespace looplive::http::detail {

ssize_t send_file_chunk(int socket, int file, uint64_t& offset, size_t count) {
  sigset_t pipe_only;
  sigset_t previous;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, &previous);

  off_t position = off_t(offset);
  ssize_t sent = ::sendfile(socket, file, &position, count);
  int error = errno;
  if (sent > 0) offset = uint64_t(position);
  // Consume any SIGPIPE this call raised, so unblocking does not deliver it. A
  // peer that hangs up mid-transfer can raise it even when part was sent.
  sigset_t pending;
  sigemptyset(&pending);
  if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
    timespec no_wait{0, 0};
    while (sigtimedwait(&pipe_only, nullptr, &no_wait) == -1 && errno == EINTR) {
    }
  }

  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  errno = error;
  return sent;
}

void set_cork(int socket, bool on) {
  int value = on ? 1 : 0;
  ::setsockopt(socket, IPPROTO_TCP, TCP_CORK, &value, sizeof value);
}

}  // namespace looplive::http::detail
