#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace looplive::core {

// URL-safe base64 without padding (RFC 4648 section 5): stream keys, API
// cursors, the tag payloads of a playlist.
std::string base64url(std::string_view bytes);
// Nothing for text with a character outside the URL-safe alphabet.
std::optional<std::string> unbase64url(std::string_view text);

}  // namespace looplive::core
