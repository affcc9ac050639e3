#include "looplive/core/shared_bytes.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <vector>

using looplive::core::SharedBytes;

TEST_CASE("bytes in an in-memory file read like any other and cannot change", "[shared_bytes]") {
  std::vector<uint8_t> bytes(100'000);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 7);
  const std::vector<uint8_t> original = bytes;
  const size_t capacity = bytes.capacity();

  const SharedBytes in_file = SharedBytes::in_memory_file(bytes);
  REQUIRE(in_file.fd() >= 0);
  CHECK(in_file == SharedBytes::copy_of(original));
  CHECK(bytes.empty());
  CHECK(bytes.capacity() == capacity);  // kept for the next segment

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
  std::vector<uint8_t> none;
  const SharedBytes empty = SharedBytes::in_memory_file(none);
  CHECK(empty.empty());
  CHECK(empty.fd() == -1);
}
