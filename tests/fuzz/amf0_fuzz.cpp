// Decodes arbitrary bytes as AMF0. Whatever decodes must encode to a
// canonical form that decodes to equal values and re-encodes to the same bytes.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "amf0.hpp"

namespace amf0 = looplive::ingest::amf0;

namespace {

// An abort is what libFuzzer records as a crash, together with the input.
void expect(bool condition) {
  if (!condition) std::abort();
}

std::vector<uint8_t> encode_all(const std::vector<amf0::Value>& values) {
  std::vector<uint8_t> out;
  for (const auto& value : values) amf0::encode(value, out);
  return out;
}

// Walks everything the accessors can reach, so a broken value cannot hide.
size_t visit(const amf0::Value& value) {
  size_t count = 1;
  for (const auto& [key, child] : value.properties()) {
    expect(value.get(key) != nullptr);
    count += visit(child);
  }
  for (const auto& child : value.elements()) count += visit(child);
  return count;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto decoded = amf0::decode_all(std::span<const uint8_t>(data, size));
  if (!decoded) {
    expect(!decoded.error().message.empty());
    return 0;
  }
  size_t nodes = 0;
  for (const auto& value : *decoded) nodes += visit(value);
  // Each value takes at least one byte of input.
  expect(nodes <= size);

  const std::vector<uint8_t> canonical = encode_all(*decoded);
  auto again = amf0::decode_all(canonical);
  expect(again.ok());
  expect(again->size() == decoded->size());
  for (size_t i = 0; i < decoded->size(); ++i) expect((*again)[i] == (*decoded)[i]);
  expect(encode_all(*again) == canonical);
  return 0;
}
