#include "small_disk.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace looplive::test {

std::optional<SmallDisk> SmallDisk::mount(const std::filesystem::path& dir, const std::string& size,
                                          std::string* why_not) {
  if (::mount("looplive-test", dir.c_str(), "tmpfs", 0, ("size=" + size).c_str()) != 0) {
    if (why_not) *why_not = std::strerror(errno);
    return std::nullopt;
  }
  return SmallDisk(dir);
}

SmallDisk::~SmallDisk() {
  if (!dir_.empty()) ::umount2(dir_.c_str(), MNT_DETACH);
}

uint64_t SmallDisk::free_bytes() const {
  struct statvfs info {};
  if (::statvfs(dir_.c_str(), &info) != 0) return 0;
  return uint64_t(info.f_bavail) * info.f_frsize;
}

void SmallDisk::fill(uint64_t leave) const {
  const uint64_t free = free_bytes();
  if (free <= leave) return;
  const std::filesystem::path filler = dir_ / "filler";
  const int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) throw std::runtime_error("cannot make " + filler.string());
  const int error = ::posix_fallocate(fd, 0, static_cast<off_t>(free - leave));
  ::close(fd);
  if (error != 0)
    throw std::runtime_error("cannot fill " + dir_.string() + ": " + std::strerror(error));
}

}  // namespace looplive::test
