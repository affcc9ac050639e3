#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "looplive/core/result.hpp"
#include "looplive/core/shared_bytes.hpp"

namespace looplive::media {

enum Av1ObuType : uint8_t {
  kObuSequenceHeader = 1,
  kObuTemporalDelimiter = 2,
  kObuRedundantFrameHeader = 7,
  kObuTileList = 8,
  kObuPadding = 15,
};

struct Av1Obu {
  uint8_t type = 0;
  std::span<const uint8_t> whole;    // header, size field and payload
  std::span<const uint8_t> payload;  // after the header and the size field
};

// Walks OBUs in low-overhead bitstream format (AV1 spec 5.3), calling
// `visit(const Av1Obu&)` for each until it returns false. An OBU without a
// size field runs to the end. Fails on a forbidden bit or a truncated OBU,
// after visiting the OBUs before it.
template <typename Visit>
core::Status walk_av1_obus(std::span<const uint8_t> obus, Visit&& visit) {
  size_t pos = 0;
  while (pos < obus.size()) {
    const size_t start = pos;
    const uint8_t header = obus[pos++];
    if (header & 0x80) return core::Error{"OBU forbidden bit set"};
    if (header & 0x04) ++pos;  // extension header
    size_t end = obus.size();
    if (header & 0x02) {
      uint64_t size = 0;
      bool last = false;
      for (int i = 0; i < 8 && pos < obus.size() && !last; ++i) {
        const uint8_t byte = obus[pos++];
        size |= uint64_t{byte & 0x7Fu} << (7 * i);
        last = !(byte & 0x80);
      }
      if (!last || size > obus.size() - pos) return core::Error{"truncated OBU"};
      end = pos + static_cast<size_t>(size);
    } else if (pos > obus.size()) {
      return core::Error{"truncated OBU"};
    }
    const Av1Obu obu{static_cast<uint8_t>((header >> 3) & 0x0F), obus.subspan(start, end - start),
                     obus.subspan(pos, end - pos)};
    if (!visit(obu)) return core::Ok{};
    pos = end;
  }
  return core::Ok{};
}

// An AV1 temporal unit as an MP4 sample holds it (AV1-ISOBMFF section 2.4),
// as libavformat's mp4 muxer makes it: without temporal delimiters,
// redundant frame headers, tile lists and padding. The payload is shared as
// it is when it has none of them, or when its OBUs cannot be parsed.
core::SharedBytes without_dropped_av1_obus(const core::SharedBytes& payload);

}  // namespace looplive::media
