#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "looplive/core/result.hpp"
#include "looplive/core/shared_bytes.hpp"

// H.264 as encoders write it (Annex B: NAL units behind 00 00 01 start
// codes) turned into the form MP4 and RTMP carry (ISO/IEC 14496-15: NAL
// units behind 4-byte lengths, parameter sets in an avcC record).
namespace looplive::media {

// The NAL units of an Annex B byte stream, start codes left out.
std::vector<std::span<const uint8_t>> annexb_nal_units(std::span<const uint8_t> stream);

// One access unit with each NAL unit behind its 4-byte big-endian length.
// Parameter sets and access unit delimiters are left out: the avcC carries them.
core::SharedBytes length_prefixed_access_unit(std::span<const uint8_t> annexb);

// An AVCDecoderConfigurationRecord (4-byte lengths) from the SPS and PPS
// found in Annex B bytes, such as an encoder's global header.
core::Result<core::SharedBytes> avcc_from_annexb(std::span<const uint8_t> parameter_sets);

}  // namespace looplive::media
