#include "looplive/media/annexb.hpp"

#include "looplive/media/codec_config.hpp"

namespace looplive::media {
namespace {

constexpr uint8_t kSps = 7;
constexpr uint8_t kPps = 8;
constexpr uint8_t kAccessUnitDelimiter = 9;

uint8_t nal_type(std::span<const uint8_t> nal) {
  return nal.empty() ? 0 : nal[0] & 0x1f;
}

void put_u16(std::vector<uint8_t>& out, size_t value) {
  out.push_back(static_cast<uint8_t>(value >> 8));
  out.push_back(static_cast<uint8_t>(value));
}

void put_u32(std::vector<uint8_t>& out, size_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(value >> shift));
}

}  // namespace

std::vector<std::span<const uint8_t>> annexb_nal_units(std::span<const uint8_t> stream) {
  std::vector<std::span<const uint8_t>> units;
  const size_t size = stream.size();
  // Start of the unit being read; none before the first start code.
  size_t start = size;
  size_t i = 0;
  while (i + 2 < size) {
    if (stream[i] == 0 && stream[i + 1] == 0 && stream[i + 2] == 1) {
      if (start < size) {
        // A 4-byte start code's leading zero, and trailing zeros, are not the unit's.
        size_t end = i;
        while (end > start && stream[end - 1] == 0) --end;
        if (end > start) units.push_back(stream.subspan(start, end - start));
      }
      i += 3;
      start = i;
    } else {
      ++i;
    }
  }
  if (start < size) units.push_back(stream.subspan(start));
  return units;
}

core::SharedBytes length_prefixed_access_unit(std::span<const uint8_t> annexb) {
  std::vector<uint8_t> out;
  out.reserve(annexb.size() + 16);
  for (const auto nal : annexb_nal_units(annexb)) {
    const uint8_t type = nal_type(nal);
    if (type == kSps || type == kPps || type == kAccessUnitDelimiter) continue;
    put_u32(out, nal.size());
    out.insert(out.end(), nal.begin(), nal.end());
  }
  return core::SharedBytes(std::move(out));
}

core::Result<core::SharedBytes> avcc_from_annexb(std::span<const uint8_t> parameter_sets) {
  std::vector<std::span<const uint8_t>> sps;
  std::vector<std::span<const uint8_t>> pps;
  for (const auto nal : annexb_nal_units(parameter_sets)) {
    if (nal_type(nal) == kSps) sps.push_back(nal);
    if (nal_type(nal) == kPps) pps.push_back(nal);
  }
  if (sps.empty() || pps.empty()) return core::Error{"no SPS and PPS in the encoder's header"};
  if (sps.size() > 31 || pps.size() > 255) return core::Error{"too many parameter sets"};
  auto parsed = parse_h264_sps(sps.front());
  if (!parsed) return parsed.error();
  if (sps.front().size() < 4) return core::Error{"SPS too short"};
  std::vector<uint8_t> out{1,
                           sps.front()[1],
                           sps.front()[2],
                           sps.front()[3],
                           0xff,
                           static_cast<uint8_t>(0xe0 | sps.size())};
  for (const auto nal : sps) {
    if (nal.size() > 0xffff) return core::Error{"SPS too long"};
    put_u16(out, nal.size());
    out.insert(out.end(), nal.begin(), nal.end());
  }
  out.push_back(static_cast<uint8_t>(pps.size()));
  for (const auto nal : pps) {
    if (nal.size() > 0xffff) return core::Error{"PPS too long"};
    put_u16(out, nal.size());
    out.insert(out.end(), nal.begin(), nal.end());
  }
  // High profiles add the chroma format and bit depths (ISO/IEC 14496-15 5.3.3.1).
  const uint8_t profile = sps.front()[1];
  if (profile == 100 || profile == 110 || profile == 122 || profile == 144) {
    const uint8_t depth = static_cast<uint8_t>(parsed->bit_depth - 8);
    out.push_back(static_cast<uint8_t>(0xfc | parsed->chroma_format_idc));
    out.push_back(static_cast<uint8_t>(0xf8 | depth));
    out.push_back(static_cast<uint8_t>(0xf8 | depth));
    out.push_back(0);
  }
  return core::SharedBytes(std::move(out));
}

}  // namespace looplive::media
