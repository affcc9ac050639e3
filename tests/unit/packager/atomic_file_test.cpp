#include "atomic_file.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "process.hpp"

using looplive::core::SharedBytes;
using looplive::packager::Sync;
using looplive::packager::write_atomically;

namespace {

std::vector<uint8_t> contents(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("media in an in-memory file reaches the disk whole, from any offset", "[packager]") {
  std::vector<uint8_t> bytes(3 * 1024 * 1024 + 123);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 31 + i / 4096);
  const std::vector<uint8_t> original = bytes;
  looplive::core::MemoryFileBuilder builder;
  builder.append(bytes);
  const SharedBytes held = builder.seal();
  REQUIRE(held.fd() >= 0);

  looplive::test::ScratchDir dir("packager");
  const auto whole = dir.path() / "v_1.m4s";
  REQUIRE(write_atomically(whole, held, Sync::durable).ok());
  CHECK(contents(whole) == original);

  // A slice is copied from its own offset in the file, not from the start.
  const auto part = dir.path() / "part.m4s";
  REQUIRE(write_atomically(part, held.slice(5000, 70'000), Sync::durable).ok());
  CHECK(contents(part) == std::vector<uint8_t>(original.begin() + 5000, original.begin() + 75'000));

  // Bytes in ordinary memory take the plain path.
  const auto plain = dir.path() / "plain.m4s";
  REQUIRE(write_atomically(plain, SharedBytes::copy_of(original), Sync::replace_only).ok());
  CHECK(contents(plain) == original);
  CHECK_FALSE(std::filesystem::exists(dir.path() / ".v_1.m4s.tmp"));
}
