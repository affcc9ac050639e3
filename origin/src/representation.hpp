#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <variant>

#include "looplive/core/shared_bytes.hpp"
#include "looplive/http/request.hpp"
#include "looplive/http/response.hpp"

namespace looplive::origin {

// One version of a file, wherever its bytes are.
struct Representation {
  std::variant<core::SharedBytes, std::string> content;  // the bytes, or a path to sendfile
  uint64_t size = 0;
  std::string etag;  // with its quotes
  std::time_t last_modified = 0;
};

// What the validators in a request say about a representation.
// If-None-Match (weak comparison, lists, "*") wins over If-Modified-Since.
bool is_not_modified(const http::Request& request, const Representation& representation);
// Whether a Range may be honoured: no If-Range, or one that strongly matches.
bool if_range_holds(std::string_view if_range, const Representation& representation);

// The answer to GET or HEAD (the server drops HEAD's body): 304, 206, 416 or
// 200. Several ranges get the whole body with 200, as RFC 9110 allows, rather
// than multipart/byteranges, which no player asks for.
http::Response answer(const http::Request& request, const Representation& representation,
                      std::string_view content_type, std::string_view cache_control);

// A strong ETag from the bytes themselves, for memory files that come without one.
std::string etag_of(const core::SharedBytes& bytes);

}  // namespace looplive::origin
