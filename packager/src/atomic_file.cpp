#include "atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "looplive/core/write_all.hpp"

namespace looplive::packager {
namespace {

core::Error system_error(const std::string& step, const std::filesystem::path& path, int code) {
  return core::Error{step + " " + path.string() + ": " + std::strerror(code)};
}

// `fill` writes the content to the descriptor it is given and returns 0 or
// an errno. `drop` lets a durable file's pages leave the page cache.
template <typename Fill>
core::Status write_atomically_with(const std::filesystem::path& path, Sync sync, bool drop,
                                   Fill fill) {
  const std::filesystem::path temporary =
      path.parent_path() / ("." + path.filename().string() + ".tmp");
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return system_error("open", temporary, errno);
  if (const int code = fill(fd); code != 0) {
    ::close(fd);
    ::unlink(temporary.c_str());
    return system_error("write", temporary, code);
  }
  if (sync == Sync::durable && ::fsync(fd) != 0) {
    const int code = errno;
    ::close(fd);
    ::unlink(temporary.c_str());
    return system_error("fsync", temporary, code);
  }
  if (sync == Sync::durable && drop) {
    // On disk now, and what readers need while it is live is held in memory:
    // its cached pages would only crowd out others, and every new byte of a
    // growing cache costs the fresh memory it takes.
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  }
  ::close(fd);
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int code = errno;
    ::unlink(temporary.c_str());
    return system_error("rename", path, code);
  }
  return core::Ok{};
}

}  // namespace

core::Status write_atomically(const std::filesystem::path& path, std::span<const uint8_t> bytes,
                              Sync sync) {
  return write_atomically_with(path, sync, false,
                               [&](int fd) { return core::write_all(fd, bytes); });
}

core::Status write_atomically(const std::filesystem::path& path, const core::SharedBytes& bytes,
                              Sync sync) {
  return write_atomically_with(path, sync, true, [&](int fd) {
    return bytes.fd() < 0 ? core::write_all(fd, bytes.span())
                          : core::copy_all(fd, bytes.fd(), bytes.file_offset(), bytes.size());
  });
}

core::Status append_durably(const std::filesystem::path& path, std::string_view text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return system_error("open", path, errno);
  const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  if (const int code = core::write_all(fd, bytes); code != 0) {
    ::close(fd);
    return system_error("append to", path, code);
  }
  if (::fdatasync(fd) != 0) {
    const int code = errno;
    ::close(fd);
    return system_error("fdatasync", path, code);
  }
  ::close(fd);
  return core::Ok{};
}

core::Status sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return system_error("open", dir, errno);
  const int rc = ::fsync(fd);
  const int code = errno;
  ::close(fd);
  if (rc != 0) return system_error("fsync", dir, code);
  return core::Ok{};
}

bool is_temporary_name(std::string_view file_name) {
  return file_name.size() > 5 && file_name.front() == '.' && file_name.ends_with(".tmp");
}

core::Status write_atomically(const std::filesystem::path& path, std::string_view text, Sync sync) {
  return write_atomically(
      path, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()),
      sync);
}

}  // namespace looplive::packager
