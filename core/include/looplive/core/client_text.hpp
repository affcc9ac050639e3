#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace looplive::core {

// Text a client chose (an encoder's name, an RTMP application or command
// name), made safe to log, store and put in JSON: valid UTF-8 with no
// control characters (CR and LF included), each bad byte or control
// character replaced by U+FFFD, and at most `max_bytes` long, cut on a
// character boundary and marked with "…" when cut.
std::string client_text(std::string_view text, size_t max_bytes);

// The length of the well-formed UTF-8 sequence at the start of `text`
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), or 0.
size_t utf8_sequence_length(std::string_view text);

}  // namespace looplive::core
