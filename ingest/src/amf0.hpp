#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "looplive/core/result.hpp"

namespace looplive::ingest::amf0 {

enum class Type : uint8_t {
  number,
  boolean,
  string,       // also what a long string decodes into when it is short; see long_string
  long_string,  // encoded with marker 0x0C
  object,
  null,
  undefined,
  ecma_array,
  strict_array,
  date,
};

class Value;
using Property = std::pair<std::string, Value>;

// One AMF0 value. Objects and ECMA arrays keep their properties in wire order.
class Value {
 public:
  Value() = default;  // null
  static Value number(double v);
  static Value boolean(bool v);
  static Value string(std::string v);
  static Value long_string(std::string v);
  static Value object(std::vector<Property> properties);
  static Value null();
  static Value undefined();
  static Value ecma_array(std::vector<Property> properties);
  static Value strict_array(std::vector<Value> elements);
  static Value date(double milliseconds, int16_t timezone = 0);

  Type type() const { return type_; }
  bool is_null_or_undefined() const { return type_ == Type::null || type_ == Type::undefined; }
  double as_number() const { return number_; }  // also the date's milliseconds
  bool as_boolean() const { return number_ != 0; }
  const std::string& as_string() const { return text_; }
  int16_t timezone() const { return timezone_; }
  const std::vector<Property>& properties() const;  // object, ecma_array
  const std::vector<Value>& elements() const;       // strict_array
  // The property's value in an object or ECMA array, or nullptr.
  const Value* get(std::string_view key) const;

  friend bool operator==(const Value& a, const Value& b);

 private:
  Type type_ = Type::null;
  double number_ = 0;
  int16_t timezone_ = 0;
  std::string text_;
  std::shared_ptr<const std::vector<Property>> properties_;
  std::shared_ptr<const std::vector<Value>> elements_;
};

// Decodes every value in a command or data message payload. Unknown markers,
// truncation, nesting deeper than 64 levels and more than 4096 values are errors.
core::Result<std::vector<Value>> decode_all(std::span<const uint8_t> bytes);
void encode(const Value& value, std::vector<uint8_t>& out);

}  // namespace looplive::ingest::amf0
