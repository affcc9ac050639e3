#include "tag_events.hpp"

#include <algorithm>
#include <limits>
#include <span>

#include "box_writer.hpp"

namespace looplive::packager {
namespace {

using namespace boxes;

// ID3v2.4 sizes are "synchsafe": seven bits to a byte.
void put_synchsafe(std::vector<uint8_t>& out, uint32_t value) {
  for (int shift = 21; shift >= 0; shift -= 7)
    out.push_back(static_cast<uint8_t>((value >> shift) & 0x7f));
}

void put_text(std::vector<uint8_t>& out, std::string_view text, bool terminated) {
  out.insert(out.end(), text.begin(), text.end());
  if (terminated) out.push_back(0);
}

// ISO 23009-1 section 5.10.3.3, version 1.
void append_emsg(std::vector<uint8_t>& out, std::string_view scheme, std::string_view value,
                 const core::ProductTag& tag, std::optional<int64_t> duration_ms,
                 std::span<const uint8_t> message) {
  constexpr uint32_t kUnknownDuration = std::numeric_limits<uint32_t>::max();
  const size_t box = open_box(out, "emsg");
  put_u32(out, 0x01000000);  // version 1, no flags
  put_u32(out, 1000);        // timescale: milliseconds
  put_u64(out, static_cast<uint64_t>(std::max<int64_t>(0, tag.media_time_ms)));
  put_u32(out, duration_ms ? static_cast<uint32_t>(
                                 std::clamp<int64_t>(*duration_ms, 0, kUnknownDuration - 1))
                           : kUnknownDuration);
  put_u32(out, static_cast<uint32_t>(tag.id));
  put_text(out, scheme, true);
  put_text(out, value, true);
  out.insert(out.end(), message.begin(), message.end());
  close_box(out, box);
}

}  // namespace

std::vector<uint8_t> id3_txxx(std::string_view description, std::string_view value) {
  std::vector<uint8_t> frame;
  frame.push_back(3);  // UTF-8
  put_text(frame, description, true);
  put_text(frame, value, false);
  std::vector<uint8_t> tag = {'I', 'D', '3', 4, 0, 0};  // version 2.4.0, no flags
  put_synchsafe(tag, static_cast<uint32_t>(10 + frame.size()));
  tag.insert(tag.end(), {'T', 'X', 'X', 'X'});
  put_synchsafe(tag, static_cast<uint32_t>(frame.size()));
  tag.insert(tag.end(), {0, 0});  // frame flags
  tag.insert(tag.end(), frame.begin(), frame.end());
  return tag;
}

void append_tag_events(std::vector<uint8_t>& out, const core::ProductTag& tag,
                       std::optional<int64_t> duration_ms) {
  const auto* json = reinterpret_cast<const uint8_t*>(tag.cue_json.data());
  append_emsg(out, kTagScheme, kTagSchemeValue, tag, duration_ms, {json, tag.cue_json.size()});
  const std::vector<uint8_t> id3 = id3_txxx(kId3Description, tag.cue_json);
  append_emsg(out, kId3Scheme, "", tag, duration_ms, id3);
}

}  // namespace looplive::packager
