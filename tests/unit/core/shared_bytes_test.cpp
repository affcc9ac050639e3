#include "looplive/core/shared_bytes.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

using looplive::core::MemoryFileBuilder;
using looplive::core::SharedBytes;

TEST_CASE("bytes in an in-memory file read like any other and cannot change", "[shared_bytes]") {
  std::vector<uint8_t> bytes(100'000);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 7);
  const std::vector<uint8_t> original = bytes;

  MemoryFileBuilder builder;
  builder.append(bytes);
  const SharedBytes in_file = builder.seal();
  REQUIRE(in_file.fd() >= 0);
  CHECK(in_file == SharedBytes::copy_of(original));

  struct stat info {};
  REQUIRE(::fstat(in_file.fd(), &info) == 0);
  CHECK(static_cast<size_t>(info.st_size) == original.size());
  const uint8_t poke = 0;
  CHECK(::pwrite(in_file.fd(), &poke, 1, 0) == -1);  // sealed
  CHECK(errno == EPERM);
  CHECK(in_file[0] == original[0]);

  const SharedBytes slice = in_file.slice(1000, 10);
  CHECK(slice.fd() == in_file.fd());
  CHECK(slice.file_offset() == 1000);
  CHECK(slice == SharedBytes::copy_of(std::span(original).subspan(1000, 10)));
  CHECK(SharedBytes::copy_of(original).fd() == -1);
}

TEST_CASE("nothing to hold needs no in-memory file", "[shared_bytes]") {
  MemoryFileBuilder builder;
  builder.append(std::span<const uint8_t>());
  const SharedBytes empty = builder.seal();
  CHECK(empty.empty());
  CHECK(empty.fd() == -1);
}

namespace {

std::vector<uint8_t> pattern(size_t size, uint8_t seed) {
  std::vector<uint8_t> bytes(size);
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>(i * 13 + seed);
  return bytes;
}

}  // namespace

TEST_CASE("a builder gathers pieces into one sealed in-memory file", "[shared_bytes]") {
  // More pieces than one gathered write takes, some of them empty.
  std::vector<std::vector<uint8_t>> pieces;
  for (size_t i = 0; i < 150; ++i) pieces.push_back(pattern(i % 7 == 0 ? 0 : 100 + i * 37, i));
  std::vector<std::span<const uint8_t>> spans(pieces.begin(), pieces.end());
  std::vector<uint8_t> expected;
  for (const auto& p : pieces) expected.insert(expected.end(), p.begin(), p.end());

  MemoryFileBuilder builder;
  builder.append(std::span(spans).first(10));
  builder.append(std::span(spans).subspan(10));
  CHECK(builder.size() == expected.size());
  const SharedBytes sealed = builder.seal();
  REQUIRE(sealed.fd() >= 0);
  CHECK(sealed == SharedBytes::copy_of(expected));
  const uint8_t poke = 0;
  CHECK(::pwrite(sealed.fd(), &poke, 1, 0) == -1);
  CHECK(errno == EPERM);

  // It starts over empty, in a file of its own.
  CHECK(builder.size() == 0);
  builder.append(pieces[1]);
  const SharedBytes next = builder.seal();
  CHECK(next.fd() >= 0);
  CHECK(next.fd() != sealed.fd());
  CHECK(next == SharedBytes::copy_of(pieces[1]));
  CHECK(sealed == SharedBytes::copy_of(expected));

  builder.append(pieces[2]);
  builder.clear();
  CHECK(builder.seal().empty());
}

TEST_CASE("a builder out of descriptors gathers in memory and loses nothing", "[shared_bytes]") {
  rlimit original{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &original) == 0);
  const auto first = pattern(5000, 1);
  const auto second = pattern(7000, 2);
  MemoryFileBuilder builder;
  builder.append(first);  // into a file while descriptors are left
  SharedBytes sealed;
  {
    // Every descriptor taken: the next builder cannot make a file at all.
    rlimit few = original;
    few.rlim_cur = std::min<rlim_t>(original.rlim_cur, 256);
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &few) == 0);
    std::vector<int> taken;
    for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) taken.push_back(fd);
    MemoryFileBuilder without_file;
    without_file.append(second);
    sealed = without_file.seal();
    for (int fd : taken) ::close(fd);
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &original) == 0);
  }
  CHECK(sealed.fd() == -1);
  CHECK(sealed == SharedBytes::copy_of(second));
  builder.append(second);
  std::vector<uint8_t> both = first;
  both.insert(both.end(), second.begin(), second.end());
  const SharedBytes whole = builder.seal();
  CHECK(whole.fd() >= 0);
  CHECK(whole == SharedBytes::copy_of(both));
}

TEST_CASE("bytes in in-memory files are counted while they are held", "[shared_bytes]") {
  using looplive::core::memory_file_bytes;
  const size_t before = memory_file_bytes();
  const auto bytes = pattern(9000, 3);
  MemoryFileBuilder builder;
  builder.append(bytes);
  CHECK(memory_file_bytes() == before + 9000);  // being written counts too
  SharedBytes sealed = builder.seal();
  REQUIRE(sealed.fd() >= 0);
  CHECK(memory_file_bytes() == before + 9000);
  {
    const SharedBytes part = sealed.slice(100, 50);  // a view holds the same file
    sealed = {};
    CHECK(memory_file_bytes() == before + 9000);
  }
  CHECK(memory_file_bytes() == before);
  builder.append(bytes);
  builder.clear();
  CHECK(memory_file_bytes() == before);
}

namespace {

// Mappings of in-memory files in this process, as /proc/self/maps lists them.
size_t memory_file_mappings() {
  FILE* maps = std::fopen("/proc/self/maps", "r");
  if (maps == nullptr) return 0;
  size_t count = 0;
  char line[1024];
  while (std::fgets(line, sizeof line, maps) != nullptr)
    if (std::strstr(line, "/memfd:looplive-media") != nullptr) ++count;
  std::fclose(maps);
  return count;
}

}  // namespace

TEST_CASE("in-memory files are mapped only once read, and join others without being read",
          "[shared_bytes]") {
  const std::vector<uint8_t> first = pattern(90'000, 1);
  const std::vector<uint8_t> second = pattern(5'000, 2);
  const size_t mapped_before = memory_file_mappings();
  MemoryFileBuilder part;
  part.append(first);
  const SharedBytes one = part.seal();
  part.append(second);
  const SharedBytes two = part.seal();
  REQUIRE(one.fd() >= 0);
  REQUIRE(two.fd() >= 0);
  CHECK(memory_file_mappings() == mapped_before);  // sealed, not yet read

  // A segment made of parts, as the packager makes it: file to file, by the kernel.
  MemoryFileBuilder segment;
  segment.append(one);
  segment.append(two.slice(1000));
  segment.append(std::span<const uint8_t>(second).first(10));
  const SharedBytes whole = segment.seal();
  CHECK(memory_file_mappings() == mapped_before);
  std::vector<uint8_t> expected = first;
  expected.insert(expected.end(), second.begin() + 1000, second.end());
  expected.insert(expected.end(), second.begin(), second.begin() + 10);
  REQUIRE(whole.fd() >= 0);
  CHECK(whole.size() == expected.size());
  CHECK(whole == SharedBytes::copy_of(expected));  // read: now mapped
  CHECK(memory_file_mappings() == mapped_before + 1);
  CHECK(one == SharedBytes::copy_of(first));
  CHECK(memory_file_mappings() == mapped_before + 2);
}
