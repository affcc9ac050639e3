// Parses arbitrary Range headers against arbitrary sizes: whatever the
// header, the answer must describe bytes inside the representation.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "looplive/http/util.hpp"

namespace http = looplive::http;

namespace {

void expect(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 8) return 0;
  uint64_t length = 0;
  std::memcpy(&length, data, sizeof length);
  if (data[0] & 1) length %= 1 << 20;  // small sizes half the time, where edges are
  const std::string_view header(reinterpret_cast<const char*>(data + 8), size - 8);
  const http::ByteRange range = http::parse_range(header, length);
  if (range.kind == http::ByteRange::Kind::satisfiable) {
    expect(length > 0);
    expect(range.first <= range.last);
    expect(range.last < length);
    expect(range.length() == range.last - range.first + 1);
  } else {
    expect(range.length() == 0);
  }
  return 0;
}
