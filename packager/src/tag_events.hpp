#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "looplive/core/product_tag.hpp"

namespace looplive::packager {

// The schemes a product tag is carried under in CMAF event messages (emsg):
// the cue JSON as it is, for dash.js (InbandEventStream) and any reader that
// knows it, and the same JSON in an ID3 TXXX frame, which hls.js, Safari and
// AVPlayer turn into timed metadata cues.
inline constexpr std::string_view kTagScheme = "urn:looplive:tag:2026";
inline constexpr std::string_view kTagSchemeValue = "1";
inline constexpr std::string_view kId3Scheme = "https://aomedia.org/emsg/ID3";
inline constexpr std::string_view kId3Description = "com.looplive.tag";  // the TXXX frame's

// An ID3v2.4 tag holding one TXXX frame (UTF-8 description and value).
std::vector<uint8_t> id3_txxx(std::string_view description, std::string_view value);

// Appends the tag's two emsg boxes (version 1: presentation time on the
// media timeline, milliseconds) to a fragment being written before its moof.
// `duration_ms` is how long the card stays; none: until a later tag says.
void append_tag_events(std::vector<uint8_t>& out, const core::ProductTag& tag,
                       std::optional<int64_t> duration_ms);

}  // namespace looplive::packager
