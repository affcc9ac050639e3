// Parses arbitrary request paths and query strings the way the origin does.
// Whatever the input, an accepted path names only our own files: a stream id
// or a media name built from the safe characters, never a way out of the
// media root.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "looplive/http/util.hpp"
#include "target.hpp"

namespace origin = looplive::origin;
namespace http = looplive::http;

namespace {

void expect(bool condition) {
  if (!condition) std::abort();
}

bool safe_name(std::string_view name) {
  // One path segment of safe characters ("a..b" is a name, not a way up).
  if (name.empty() || name == "." || name == "..") return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // The part before a '?' is the path; the rest is the query.
  const size_t question = input.find('?');
  const std::string_view path = input.substr(0, question);
  const auto parsed = origin::parse_target(path);
  if (const auto* target = std::get_if<origin::Target>(&parsed)) {
    if (target->area == origin::Target::Area::live) {
      expect(origin::is_stream_id(target->stream_id));
      expect(safe_name(target->file));
    }
    if (target->area == origin::Target::Area::vods) expect(safe_name(target->file));
  }
  if (question != std::string_view::npos) {
    const std::string_view query = input.substr(question + 1);
    for (const char* name : {"_HLS_msn", "_HLS_part", "_HLS_skip", "session"})
      (void)http::query_param(query, name);
  }
  (void)http::percent_decode(input);
  return 0;
}
