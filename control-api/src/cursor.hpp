#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "looplive/db/tag_repository.hpp"

namespace looplive::control_api {

// The position after a page of the stream list: the last stream's creation
// time and id, opaque to clients (URL-safe base64).
struct Cursor {
  std::string created_at;  // ISO 8601 UTC, as the repository gives it
  std::string id;
};

std::string encode_cursor(const Cursor& cursor);
// Nothing for text that no encode_cursor() produced.
std::optional<Cursor> decode_cursor(std::string_view text);

// The position after a page of a stream's tag timeline: the last tag's media
// time and id, opaque the same way.
std::string encode_tag_cursor(const db::TagPosition& position);
std::optional<db::TagPosition> decode_tag_cursor(std::string_view text);

}  // namespace looplive::control_api
