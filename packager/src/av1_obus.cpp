#include "av1_obus.hpp"

#include <span>
#include <vector>

namespace looplive::packager {

core::SharedBytes without_dropped_av1_obus(const core::SharedBytes& payload) {
  const std::span<const uint8_t> in = payload.span();
  std::vector<uint8_t> kept;
  bool dropped = false;
  size_t pos = 0;
  while (pos < in.size()) {
    const size_t start = pos;
    const uint8_t header = in[pos++];
    const int type = (header >> 3) & 0x0F;
    if (header & 0x04) ++pos;  // extension header
    size_t end = in.size();    // an OBU without a size field runs to the end
    if (header & 0x02) {
      uint64_t size = 0;
      for (int i = 0; i < 8 && pos < in.size(); ++i) {
        const uint8_t byte = in[pos++];
        size |= uint64_t{byte & 0x7Fu} << (7 * i);
        if (!(byte & 0x80)) break;
      }
      if (pos > in.size() || size > in.size() - pos) return payload;  // not ours to fix
      end = pos + size;
    }
    const bool drop = type == 2 || type == 7 || type == 8 || type == 15;
    if (drop && !dropped) kept.assign(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(start));
    dropped = dropped || drop;
    if (dropped && !drop) kept.insert(kept.end(), in.begin() + start, in.begin() + end);
    pos = end;
  }
  return dropped ? core::SharedBytes(std::move(kept)) : payload;
}

}  // namespace looplive::packager
