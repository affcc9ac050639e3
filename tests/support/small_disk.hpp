#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace looplive::test {

// A filesystem of its own (a tmpfs of `size`, such as "2m") mounted on an
// existing directory, where the machine lets a test mount one (it needs
// CAP_SYS_ADMIN), so a test can fill a disk; unmounted when destroyed.
class SmallDisk {
 public:
  // Nothing, with why in `why_not`, where no tmpfs can be mounted.
  static std::optional<SmallDisk> mount(const std::filesystem::path& dir, const std::string& size,
                                        std::string* why_not);
  SmallDisk(SmallDisk&& other) noexcept : dir_(std::move(other.dir_)) { other.dir_.clear(); }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;
  SmallDisk& operator=(SmallDisk&&) = delete;
  ~SmallDisk();

  // Bytes an unprivileged writer may still use there.
  uint64_t free_bytes() const;
  // Takes all but `leave` bytes with one file.
  void fill(uint64_t leave) const;

 private:
  explicit SmallDisk(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::filesystem::path dir_;
};

}  // namespace looplive::test
