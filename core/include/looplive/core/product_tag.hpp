#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "looplive/core/result.hpp"

namespace looplive::core {

// What a product tag tells the player to do with the product's card.
enum class TagAction : uint8_t { show, hide, update };
std::string_view tag_action_name(TagAction action);  // "show", "hide", "update"
std::optional<TagAction> parse_tag_action(std::string_view name);

// A product tag placed on a stream's media timeline: what the control API
// stores and the packager carries in the media (emsg, EXT-X-DATERANGE, a DASH
// EventStream). The packager never reads the cue: it is the JSON players
// receive, built once by the API so every protocol carries the same bytes.
struct ProductTag {
  uint64_t id = 0;  // the database's, unique across streams
  std::string product_id;
  TagAction action = TagAction::show;
  std::optional<int64_t> duration_ms;  // a show that ends by itself
  int64_t media_time_ms = 0;           // on the stream's timeline, as segments are
  int64_t wall_clock_ms = 0;           // Unix time of media_time_ms (program date time)
  std::string cue_json;                // compact JSON: id, productId, action, payload...
};

// The media time a tag is placed at, and the same instant as program date time.
struct TagStamp {
  int64_t media_time_ms = 0;
  int64_t wall_clock_ms = 0;
};

// What carries tags in a stream's media: the packager. Any thread.
class TagCarrier {
 public:
  virtual ~TagCarrier() = default;
  // Where a tag posted now goes: the media time of the next frame the stream
  // packages (while its publisher is away, where the next publish will
  // resume), or the given media time or program date time. Errors:
  // not_found for a stream not packaged here, conflict before its first frame.
  virtual Result<TagStamp> stamp_tag(const std::string& stream_id,
                                     std::optional<int64_t> media_time_ms,
                                     std::optional<int64_t> wall_clock_ms) const = 0;
  // Puts a stamped tag on the stream's timeline. Errors: not_found, conflict
  // when the stream holds as many tags as it may.
  virtual Status add_tag(const std::string& stream_id, ProductTag tag) = 0;
  // Takes a tag off before it is on air. Errors: not_found, conflict once it
  // is in a playlist, a manifest or a fragment.
  virtual Status remove_tag(const std::string& stream_id, uint64_t tag_id) = 0;
};

}  // namespace looplive::core
