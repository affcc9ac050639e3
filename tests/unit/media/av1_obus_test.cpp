#include "looplive/media/av1_obus.hpp"

#include <catch2/catch.hpp>
#include <vector>

using looplive::core::SharedBytes;
using looplive::media::without_dropped_av1_obus;

namespace {

// An OBU with a size field: header (type << 3 | has_size), LEB128 size, payload.
std::vector<uint8_t> obu(int type, std::vector<uint8_t> payload) {
  std::vector<uint8_t> out{static_cast<uint8_t>(type << 3 | 0x02),
                           static_cast<uint8_t>(payload.size())};
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

std::vector<uint8_t> join(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::vector<uint8_t> bytes_of(const SharedBytes& b) {
  return {b.span().begin(), b.span().end()};
}

}  // namespace

TEST_CASE("AV1 temporal delimiters and padding leave the sample, frames stay", "[packager]") {
  const auto sequence_header = obu(1, {0x00, 0x00, 0x00});
  const auto frame = obu(6, {0x10, 0x20, 0x30, 0x40});
  const SharedBytes unit(join({obu(2, {}), sequence_header, frame, obu(15, {0, 0})}));
  CHECK(bytes_of(without_dropped_av1_obus(unit)) == join({sequence_header, frame}));
}

TEST_CASE("an AV1 sample with nothing to drop is shared as it is", "[packager]") {
  const SharedBytes unit(join({obu(1, {0x00}), obu(6, {0x10, 0x20})}));
  const SharedBytes out = without_dropped_av1_obus(unit);
  CHECK(out.data() == unit.data());
  // A size past the end is not ours to repair: the sample goes as it came.
  const SharedBytes cut(std::vector<uint8_t>{0x12, 0x00, 0x32, 0x09, 0x01});
  CHECK(without_dropped_av1_obus(cut).data() == cut.data());
}
