#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace looplive::http {

// What a Range header asks of a representation of a known size (RFC 9110 14.2).
struct ByteRange {
  enum class Kind {
    none,           // no usable Range header: serve the whole representation (200)
    satisfiable,    // serve [first, last] (206)
    unsatisfiable,  // answer 416 with "Content-Range: bytes */size"
    multiple,       // several ranges: multipart/byteranges is not offered, serve 200
  };
  Kind kind = Kind::none;
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive

  uint64_t length() const { return kind == Kind::satisfiable ? last - first + 1 : 0; }
};

// Single byte ranges only: "bytes=a-b", "bytes=a-", "bytes=-n". The decisions:
//  - A header that is empty, names another unit or breaks the grammar (including
//    b < a) is ignored, as RFC 9110 allows: kind none.
//  - a at or beyond size, a zero suffix ("bytes=-0") and any range of an empty
//    representation are unsatisfiable.
//  - b beyond the end is clamped to size - 1; a suffix longer than size selects it all.
//  - Numbers too large for 64 bits saturate, so they keep their meaning.
//  - Two or more well-formed ranges give multiple; empty list elements are skipped.
ByteRange parse_range(std::string_view header, uint64_t size);

// Whether an Accept-Encoding value takes `coding` (lower case, e.g. "gzip";
// RFC 9110 section 12.5.3): named with a non-zero weight, or else "*" with one.
bool accepts_coding(std::string_view accept_encoding, std::string_view coding);

// IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(std::time_t time);
// IMF-fixdate and the obsolete RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT") and
// asctime ("Sun Nov  6 08:49:37 1994") forms. A two-digit year more than 50
// years ahead of today is taken as the most recent past one (RFC 9110 5.6.7).
std::optional<std::time_t> parse_http_date(std::string_view text);

// Decodes %XX escapes exactly once; nullopt when a '%' is not followed by two
// hex digits. '+' stays '+'. The result may hold '/', "..", NUL or a fresh
// escape ("%252e" gives "%2e"): whoever maps it to a file must check it.
std::optional<std::string> percent_decode(std::string_view text);

struct PathAndQuery {
  std::string_view path;   // still percent-encoded
  std::string_view query;  // without the '?'; empty when absent
};
PathAndQuery split_path_and_query(std::string_view target);

// The first value of `name` in a query string ("a=1&b=x%20y"), with '+' read as
// a space and escapes decoded; "" for a bare "name". nullopt when absent or
// when its escapes are malformed.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

}  // namespace looplive::http
