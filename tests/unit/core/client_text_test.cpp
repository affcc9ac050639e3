#include "looplive/core/client_text.hpp"

#include <catch2/catch.hpp>
#include <string>

using looplive::core::client_text;

TEST_CASE("client text: valid UTF-8 passes, anything else becomes U+FFFD", "[core]") {
  CHECK(client_text("obs-output module", 128) == "obs-output module");
  CHECK(client_text("caf\xC3\xA9 \xF0\x9F\x8E\xA5", 128) == "caf\xC3\xA9 \xF0\x9F\x8E\xA5");
  CHECK(client_text("\xFF", 128) == "\xEF\xBF\xBD");
  CHECK(client_text("a\xC3", 128) == "a\xEF\xBF\xBD");                        // cut-off sequence
  CHECK(client_text("\xC0\xAF", 128) == "\xEF\xBF\xBD\xEF\xBF\xBD");          // overlong '/'
  CHECK(client_text("\xED\xA0\x80", 128).find("\xED") == std::string::npos);  // a surrogate
  // CR, LF, NUL, DEL and C1 controls cannot forge or break a log line.
  CHECK(client_text(std::string("a\r\nb\0c\x7F\xC2\x85", 9), 128) ==
        "a\xEF\xBF\xBD\xEF\xBF\xBD"
        "b\xEF\xBF\xBD"
        "c\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("client text: cut on a character boundary, and marked", "[core]") {
  CHECK(client_text("abcdef", 6) == "abcdef");
  CHECK(client_text("abcdefg", 6) == "abc\xE2\x80\xA6");
  // Never half a character: é is two bytes.
  CHECK(client_text("\xC3\xA9\xC3\xA9\xC3\xA9", 5) == "\xC3\xA9\xE2\x80\xA6");
  CHECK(client_text("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", 7) == "\xC3\xA9\xC3\xA9\xE2\x80\xA6");
  CHECK(client_text(std::string(1 << 20, 'x'), 128).size() <= 128);
  CHECK(client_text("abc", 2) == "");  // no room even for the mark
}
