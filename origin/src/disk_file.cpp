#include "disk_file.hpp"

#include <sys/stat.h>

#include <cstdio>

namespace looplive::origin {

namespace {

std::string validator(const struct stat& info) {
  char text[96];
  auto mtime_ns = uint64_t(info.st_mtim.tv_sec) * 1'000'000'000ULL + uint64_t(info.st_mtim.tv_nsec);
  std::snprintf(
      text, sizeof text, "\"%llx-%llx-%llx\"", static_cast<unsigned long long>(info.st_ino),
      static_cast<unsigned long long>(info.st_size), static_cast<unsigned long long>(mtime_ns));
  return text;
}

}  // namespace

std::optional<Representation> find_disk_file(const std::string& trusted_dir,
                                             std::initializer_list<std::string_view> names) {
  std::string path = trusted_dir;
  struct stat info {};
  size_t index = 0;
  for (auto name : names) {
    path += '/';
    path += name;
    // lstat: a link is reported as a link, never as what it points to.
    if (::lstat(path.c_str(), &info) != 0) return std::nullopt;
    bool last = ++index == names.size();
    if (last ? !S_ISREG(info.st_mode) : !S_ISDIR(info.st_mode)) return std::nullopt;
  }
  if (index == 0) return std::nullopt;
  Representation representation;
  representation.size = uint64_t(info.st_size);
  representation.etag = validator(info);
  representation.last_modified = info.st_mtim.tv_sec;
  representation.content = std::move(path);
  return representation;
}

}  // namespace looplive::origin
