#pragma once

#include <string>
#include <string_view>

namespace looplive::control_api {

// "https://cdn.example.com:8443" of "https://cdn.example.com:8443/hls.min.js?v=1": what a
// Content-Security-Policy source names. Empty unless an http:// or https:// URL whose host
// is a name or an address, with an optional port (no user name, nothing CSP would misread).
std::string url_origin(std::string_view url);
// An http:// or https:// URL the page can name in an attribute as it is: no spaces,
// quotes, angle brackets, backslashes or control characters.
bool is_script_url(std::string_view url);
// Empty, or Subresource Integrity digests ("sha384-<base64>", space-separated).
bool is_integrity(std::string_view text);

}  // namespace looplive::control_api
