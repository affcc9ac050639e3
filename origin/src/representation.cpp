#include "representation.hpp"

#include <cstdio>

#include "looplive/http/util.hpp"

namespace looplive::origin {

namespace bhttp = boost::beast::http;

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string_view without_weak_prefix(std::string_view tag) {
  return tag.starts_with("W/") ? tag.substr(2) : tag;
}

bool weakly_equal(std::string_view a, std::string_view b) {
  return without_weak_prefix(a) == without_weak_prefix(b);
}

bool any_tag_matches(std::string_view list, std::string_view etag) {
  while (true) {
    auto comma = list.find(',');
    std::string_view tag = trim(list.substr(0, comma));
    if (tag == "*" || (!tag.empty() && weakly_equal(tag, etag))) return true;
    if (comma == std::string_view::npos) return false;
    list.remove_prefix(comma + 1);
  }
}

void set_validators(http::Response& response, const Representation& representation) {
  response.headers.set(bhttp::field::etag, representation.etag);
  response.headers.set(bhttp::field::last_modified, http::http_date(representation.last_modified));
}

http::Body slice(const Representation& representation, uint64_t offset, uint64_t length) {
  if (const auto* bytes = std::get_if<core::SharedBytes>(&representation.content))
    return bytes->slice(size_t(offset), size_t(length));
  return http::FileBody{std::get<std::string>(representation.content), offset, length};
}

}  // namespace

bool is_not_modified(const http::Request& request, const Representation& representation) {
  auto none_match = request.header(bhttp::field::if_none_match);
  if (!none_match.empty()) return any_tag_matches(none_match, representation.etag);
  auto since = request.header(bhttp::field::if_modified_since);
  if (since.empty()) return false;
  auto date = http::parse_http_date(since);
  return date && representation.last_modified <= *date;
}

bool if_range_holds(std::string_view if_range, const Representation& representation) {
  if_range = trim(if_range);
  if (if_range.empty()) return true;
  // Ranges of a changed file must not be stitched together, so only a
  // strong match counts: a weak tag never does.
  if (if_range.starts_with("W/")) return false;
  if (if_range.starts_with('"')) return if_range == representation.etag;
  auto date = http::parse_http_date(if_range);
  return date && *date == representation.last_modified;
}

http::Response answer(const http::Request& request, const Representation& representation,
                      std::string_view content_type, std::string_view cache_control) {
  http::Response response;
  response.headers.set(bhttp::field::cache_control, cache_control);
  response.headers.set(bhttp::field::accept_ranges, "bytes");
  set_validators(response, representation);
  if (is_not_modified(request, representation)) {
    response.status = bhttp::status::not_modified;
    return response;
  }
  response.headers.set(bhttp::field::content_type, content_type);

  auto range_header = request.header(bhttp::field::range);
  auto range = range_header.empty() ||
                       !if_range_holds(request.header(bhttp::field::if_range), representation)
                   ? http::ByteRange{}
                   : http::parse_range(range_header, representation.size);
  const std::string size = std::to_string(representation.size);
  switch (range.kind) {
    case http::ByteRange::Kind::satisfiable:
      response.status = bhttp::status::partial_content;
      response.headers.set(
          bhttp::field::content_range,
          "bytes " + std::to_string(range.first) + "-" + std::to_string(range.last) + "/" + size);
      response.body = slice(representation, range.first, range.length());
      return response;
    case http::ByteRange::Kind::unsatisfiable:
      response.status = bhttp::status::range_not_satisfiable;
      response.headers.set(bhttp::field::content_range, "bytes */" + size);
      response.headers.set(bhttp::field::content_type, "text/plain; charset=utf-8");
      response.body = std::string("Range Not Satisfiable\n");
      return response;
    case http::ByteRange::Kind::none:
    case http::ByteRange::Kind::multiple:
      break;
  }
  response.status = bhttp::status::ok;
  response.body = slice(representation, 0, representation.size);
  return response;
}

std::string etag_of(const core::SharedBytes& bytes) {
  uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a
  for (uint8_t byte : bytes.span()) hash = (hash ^ byte) * 0x100000001b3ULL;
  char text[48];
  std::snprintf(text, sizeof text, "\"m%016llx-%zx\"", static_cast<unsigned long long>(hash),
                bytes.size());
  return text;
}

}  // namespace looplive::origin
