#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

// Big-endian ISO BMFF box writing (ISO 14496-12), for the boxes the packager
// writes itself: fragments (moof, mdat) and event messages (emsg).
namespace looplive::packager::boxes {

inline void put_u32(std::vector<uint8_t>& out, uint32_t value) {
  out.insert(out.end(), {static_cast<uint8_t>(value >> 24), static_cast<uint8_t>(value >> 16),
                         static_cast<uint8_t>(value >> 8), static_cast<uint8_t>(value)});
}

inline void put_u64(std::vector<uint8_t>& out, uint64_t value) {
  put_u32(out, static_cast<uint32_t>(value >> 32));
  put_u32(out, static_cast<uint32_t>(value));
}

inline void set_u32(std::vector<uint8_t>& out, size_t at, uint32_t value) {
  for (int i = 0; i < 4; ++i) out[at + i] = static_cast<uint8_t>(value >> (24 - 8 * i));
}

// Writes one box header (size, type) and leaves the size to close_box().
inline size_t open_box(std::vector<uint8_t>& out, const char (&type)[5]) {
  const size_t at = out.size();
  put_u32(out, 0);
  out.insert(out.end(), type, type + 4);
  return at;
}

inline void close_box(std::vector<uint8_t>& out, size_t at) {
  set_u32(out, at, static_cast<uint32_t>(out.size() - at));
}

}  // namespace looplive::packager::boxes
