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

}  // namespace

core::Status write_atomically(const std::filesystem::path& path, std::span<const uint8_t> bytes,
                              Sync sync) {
  const std::filesystem::path temporary =
      path.parent_path() / ("." + path.filename().string() + ".tmp");
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return system_error("open", temporary, errno);
  if (const int code = core::write_all(fd, bytes); code != 0) {
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
  ::close(fd);
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int code = errno;
    ::unlink(temporary.c_str());
    return system_error("rename", path, code);
  }
  return core::Ok{};
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
