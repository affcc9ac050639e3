#include <limits>

#include "header_text.hpp"
#include "looplive/http/util.hpp"

namespace looplive::http {

namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

// Saturating, so "bytes=99999999999999999999999-" is still "beyond the end".
std::optional<uint64_t> parse_number(std::string_view digits) {
  if (digits.empty()) return std::nullopt;
  uint64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t digit = uint64_t(c - '0');
    value = value > (kMax - digit) / 10 ? kMax : value * 10 + digit;
  }
  return value;
}

struct Spec {
  std::optional<uint64_t> first;
  std::optional<uint64_t> last;  // the suffix length when first is absent
};

std::optional<Spec> parse_spec(std::string_view text) {
  auto dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::string_view a = text.substr(0, dash);
  std::string_view b = text.substr(dash + 1);
  Spec spec;
  if (!a.empty() && !(spec.first = parse_number(a))) return std::nullopt;
  if (!b.empty() && !(spec.last = parse_number(b))) return std::nullopt;
  if (!spec.first && !spec.last) return std::nullopt;
  if (spec.first && spec.last && *spec.last < *spec.first) return std::nullopt;
  return spec;
}

}  // namespace

ByteRange parse_range(std::string_view header, uint64_t size) {
  constexpr std::string_view kUnit = "bytes=";
  header = trim(header);
  if (header.size() < kUnit.size() || !iequals(header.substr(0, kUnit.size()), kUnit)) return {};
  std::string_view list = header.substr(kUnit.size());

  size_t count = 0;
  Spec only;
  while (true) {
    auto comma = list.find(',');
    std::string_view element = trim(list.substr(0, comma));
    if (!element.empty()) {
      auto spec = parse_spec(element);
      if (!spec) return {};
      if (count++ == 0) only = *spec;
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  if (count == 0) return {};
  if (count > 1) return {ByteRange::Kind::multiple};

  if (size == 0) return {ByteRange::Kind::unsatisfiable};
  if (!only.first) {
    uint64_t suffix = *only.last;
    if (suffix == 0) return {ByteRange::Kind::unsatisfiable};
    return {ByteRange::Kind::satisfiable, suffix >= size ? 0 : size - suffix, size - 1};
  }
  if (*only.first >= size) return {ByteRange::Kind::unsatisfiable};
  uint64_t last = only.last && *only.last < size ? *only.last : size - 1;
  return {ByteRange::Kind::satisfiable, *only.first, last};
}

}  // namespace looplive::http
