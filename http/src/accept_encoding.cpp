#include <algorithm>

#include "header_text.hpp"
#include "looplive/http/util.hpp"

namespace looplive::http {
namespace {

// Whether a list item's parameters ("q=0", " q=0.000") give it weight zero.
bool weight_is_zero(std::string_view parameters) {
  while (!parameters.empty()) {
    const size_t semicolon = parameters.find(';');
    const std::string_view parameter = trim(parameters.substr(0, semicolon));
    parameters =
        semicolon == std::string_view::npos ? std::string_view{} : parameters.substr(semicolon + 1);
    if (parameter.size() < 2 || !iequals(parameter.substr(0, 2), "q=")) continue;
    const std::string_view value = parameter.substr(2);
    return !value.empty() &&
           std::all_of(value.begin(), value.end(), [](char c) { return c == '0' || c == '.'; });
  }
  return false;
}

}  // namespace

bool accepts_coding(std::string_view accept_encoding, std::string_view coding) {
  bool any = false;
  while (!accept_encoding.empty()) {
    const size_t comma = accept_encoding.find(',');
    const std::string_view item = accept_encoding.substr(0, comma);
    accept_encoding =
        comma == std::string_view::npos ? std::string_view{} : accept_encoding.substr(comma + 1);
    const size_t semicolon = item.find(';');
    const std::string_view name = trim(item.substr(0, semicolon));
    const std::string_view parameters =
        semicolon == std::string_view::npos ? std::string_view{} : item.substr(semicolon + 1);
    // A coding named outright wins over "*", wherever each stands.
    if (iequals(name, coding)) return !weight_is_zero(parameters);
    if (name == "*") any = !weight_is_zero(parameters);
  }
  return any;
}

}  // namespace looplive::http
