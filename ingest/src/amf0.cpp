#include "amf0.hpp"

#include <bit>
#include <cmath>
#include <string>

namespace looplive::ingest::amf0 {
namespace {

namespace marker {
constexpr uint8_t kNumber = 0x00;
constexpr uint8_t kBoolean = 0x01;
constexpr uint8_t kString = 0x02;
constexpr uint8_t kObject = 0x03;
constexpr uint8_t kNull = 0x05;
constexpr uint8_t kUndefined = 0x06;
constexpr uint8_t kReference = 0x07;
constexpr uint8_t kEcmaArray = 0x08;
constexpr uint8_t kObjectEnd = 0x09;
constexpr uint8_t kStrictArray = 0x0A;
constexpr uint8_t kDate = 0x0B;
constexpr uint8_t kLongString = 0x0C;
constexpr uint8_t kTypedObject = 0x10;
constexpr uint8_t kAvmPlus = 0x11;
}  // namespace marker

constexpr int kMaxDepth = 64;
constexpr size_t kMaxShortString = 0xFFFF;
// A value costs about a hundred times the one byte that can encode it (a
// null); no command or metadata needs more than a few hundred of them.
constexpr size_t kMaxValues = 4096;

const std::vector<Property> kNoProperties;
const std::vector<Value> kNoElements;

// Decoding reads only from `bytes`; every length and count on the wire is
// checked against what is left before it is used.
class Decoder {
 public:
  explicit Decoder(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  bool done() const { return pos_ == bytes_.size(); }

  core::Result<Value> value(int depth) {
    const size_t at = pos_;
    if (!has(1)) return truncated("value marker");
    if (++values_ > kMaxValues)
      return error(at, "more than " + std::to_string(kMaxValues) + " values in one message");
    const uint8_t type = bytes_[pos_++];
    switch (type) {
      case marker::kNumber: {
        if (!has(8)) return truncated("number");
        return Value::number(take_double());
      }
      case marker::kBoolean:
        if (!has(1)) return truncated("boolean");
        return Value::boolean(bytes_[pos_++] != 0);
      case marker::kString: {
        auto text = short_string("string");
        if (!text) return text.error();
        return Value::string(std::move(*text));
      }
      case marker::kLongString: {
        if (!has(4)) return truncated("long string length");
        const size_t length = take_uint(4);
        if (!has(length)) return truncated("long string");
        std::string text = take_text(length);
        // Short text is the same value whichever marker carried it.
        if (length <= kMaxShortString) return Value::string(std::move(text));
        return Value::long_string(std::move(text));
      }
      case marker::kObject: {
        if (depth >= kMaxDepth) return too_deep(at);
        auto properties = property_list(depth + 1);
        if (!properties) return properties.error();
        return Value::object(std::move(*properties));
      }
      case marker::kEcmaArray: {
        if (depth >= kMaxDepth) return too_deep(at);
        // The count is only a hint and senders get it wrong; the end marker decides.
        if (!has(4)) return truncated("ECMA array count");
        pos_ += 4;
        auto properties = property_list(depth + 1);
        if (!properties) return properties.error();
        return Value::ecma_array(std::move(*properties));
      }
      case marker::kStrictArray: {
        if (depth >= kMaxDepth) return too_deep(at);
        if (!has(4)) return truncated("strict array count");
        const size_t count = take_uint(4);
        // No reserve(count): the count is the sender's claim, every element
        // needs at least one byte, so truncation ends a lying count.
        std::vector<Value> elements;
        for (size_t i = 0; i < count; ++i) {
          auto element = value(depth + 1);
          if (!element) return element.error();
          elements.push_back(std::move(*element));
        }
        return Value::strict_array(std::move(elements));
      }
      case marker::kDate: {
        if (!has(10)) return truncated("date");
        const double milliseconds = take_double();
        const auto timezone = static_cast<int16_t>(take_uint(2));
        return Value::date(milliseconds, timezone);
      }
      case marker::kNull:
        return Value::null();
      case marker::kUndefined:
        return Value::undefined();
      case marker::kObjectEnd:
        return error(at, "object end marker outside an object");
      case marker::kReference:
        return error(at, "references (marker 0x07) are not supported");
      case marker::kTypedObject:
        return error(at, "typed objects (marker 0x10) are not supported");
      case marker::kAvmPlus:
        return error(at, "AMF3 values (marker 0x11) are not supported");
      default:
        return error(at, "unknown marker " + std::to_string(type));
    }
  }

 private:
  // Properties up to and including the empty key + object end marker.
  core::Result<std::vector<Property>> property_list(int depth) {
    std::vector<Property> properties;
    for (;;) {
      auto key = short_string("property name");
      if (!key) return key.error();
      if (!has(1)) return truncated("property value");
      if (bytes_[pos_] == marker::kObjectEnd) {
        if (!key->empty()) return error(pos_, "object end marker after property name");
        ++pos_;
        return properties;
      }
      auto item = value(depth);
      if (!item) return item.error();
      properties.emplace_back(std::move(*key), std::move(*item));
    }
  }

  core::Result<std::string> short_string(const char* what) {
    if (!has(2)) return truncated(what);
    const size_t length = take_uint(2);
    if (!has(length)) return truncated(what);
    return take_text(length);
  }

  bool has(size_t n) const { return bytes_.size() - pos_ >= n; }

  uint64_t take_uint(size_t n) {
    uint64_t value = 0;
    for (size_t i = 0; i < n; ++i) value = (value << 8) | bytes_[pos_++];
    return value;
  }

  double take_double() { return std::bit_cast<double>(take_uint(8)); }

  std::string take_text(size_t length) {
    std::string text(reinterpret_cast<const char*>(bytes_.data() + pos_), length);
    pos_ += length;
    return text;
  }

  static core::Error error(size_t at, const std::string& what) {
    return core::Error{"amf0: " + what + " at offset " + std::to_string(at)};
  }
  core::Error truncated(const char* what) const {
    return error(pos_, std::string("truncated ") + what);
  }
  static core::Error too_deep(size_t at) {
    return error(at, "values nested deeper than " + std::to_string(kMaxDepth) + " levels");
  }

  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
  size_t values_ = 0;
};

void put_uint(uint64_t value, size_t n, std::vector<uint8_t>& out) {
  for (size_t i = n; i-- > 0;) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

void put_text(std::string_view text, std::vector<uint8_t>& out) {
  out.insert(out.end(), text.begin(), text.end());
}

void put_properties(const std::vector<Property>& properties, std::vector<uint8_t>& out) {
  for (const auto& [key, value] : properties) {
    // Names have a 16-bit length; longer ones cannot be sent whole, and a cut
    // name keeps the rest of the message readable.
    const std::string_view name = std::string_view(key).substr(0, kMaxShortString);
    put_uint(name.size(), 2, out);
    put_text(name, out);
    encode(value, out);
  }
  put_uint(0, 2, out);
  out.push_back(marker::kObjectEnd);
}

// Equal numbers, counting NaN as equal to itself so decode(encode(v)) == v holds for every v.
bool same_number(double a, double b) {
  return a == b || (std::isnan(a) && std::isnan(b));
}

}  // namespace

Value Value::number(double v) {
  Value out;
  out.type_ = Type::number;
  out.number_ = v;
  return out;
}

Value Value::boolean(bool v) {
  Value out;
  out.type_ = Type::boolean;
  out.number_ = v ? 1 : 0;
  return out;
}

Value Value::string(std::string v) {
  Value out;
  out.type_ = Type::string;
  out.text_ = std::move(v);
  return out;
}

Value Value::long_string(std::string v) {
  Value out;
  out.type_ = Type::long_string;
  out.text_ = std::move(v);
  return out;
}

Value Value::object(std::vector<Property> properties) {
  Value out;
  out.type_ = Type::object;
  out.properties_ = std::make_shared<const std::vector<Property>>(std::move(properties));
  return out;
}

Value Value::null() {
  return Value();
}

Value Value::undefined() {
  Value out;
  out.type_ = Type::undefined;
  return out;
}

Value Value::ecma_array(std::vector<Property> properties) {
  Value out;
  out.type_ = Type::ecma_array;
  out.properties_ = std::make_shared<const std::vector<Property>>(std::move(properties));
  return out;
}

Value Value::strict_array(std::vector<Value> elements) {
  Value out;
  out.type_ = Type::strict_array;
  out.elements_ = std::make_shared<const std::vector<Value>>(std::move(elements));
  return out;
}

Value Value::date(double milliseconds, int16_t timezone) {
  Value out;
  out.type_ = Type::date;
  out.number_ = milliseconds;
  out.timezone_ = timezone;
  return out;
}

const std::vector<Property>& Value::properties() const {
  return properties_ ? *properties_ : kNoProperties;
}

const std::vector<Value>& Value::elements() const {
  return elements_ ? *elements_ : kNoElements;
}

const Value* Value::get(std::string_view key) const {
  for (const auto& [name, value] : properties()) {
    if (name == key) return &value;
  }
  return nullptr;
}

bool operator==(const Value& a, const Value& b) {
  // Which string marker carried the text is an encoding detail, not part of the value.
  const auto kind = [](Type type) { return type == Type::long_string ? Type::string : type; };
  if (kind(a.type_) != kind(b.type_)) return false;
  switch (a.type_) {
    case Type::number:
      return same_number(a.number_, b.number_);
    case Type::boolean:
      return a.as_boolean() == b.as_boolean();
    case Type::string:
    case Type::long_string:
      return a.text_ == b.text_;
    case Type::object:
    case Type::ecma_array:
      return a.properties_ == b.properties_ || a.properties() == b.properties();
    case Type::strict_array:
      return a.elements_ == b.elements_ || a.elements() == b.elements();
    case Type::date:
      return same_number(a.number_, b.number_) && a.timezone_ == b.timezone_;
    case Type::null:
    case Type::undefined:
      return true;
  }
  return false;
}

core::Result<std::vector<Value>> decode_all(std::span<const uint8_t> bytes) {
  Decoder decoder(bytes);
  std::vector<Value> values;
  while (!decoder.done()) {
    auto value = decoder.value(0);
    if (!value) return value.error();
    values.push_back(std::move(*value));
  }
  return values;
}

void encode(const Value& value, std::vector<uint8_t>& out) {
  switch (value.type()) {
    case Type::number:
      out.push_back(marker::kNumber);
      put_uint(std::bit_cast<uint64_t>(value.as_number()), 8, out);
      break;
    case Type::boolean:
      out.push_back(marker::kBoolean);
      out.push_back(value.as_boolean() ? 1 : 0);
      break;
    case Type::string:
      if (value.as_string().size() <= kMaxShortString) {
        out.push_back(marker::kString);
        put_uint(value.as_string().size(), 2, out);
        put_text(value.as_string(), out);
        break;
      }
      [[fallthrough]];
    case Type::long_string:
      out.push_back(marker::kLongString);
      put_uint(value.as_string().size(), 4, out);
      put_text(value.as_string(), out);
      break;
    case Type::object:
      out.push_back(marker::kObject);
      put_properties(value.properties(), out);
      break;
    case Type::null:
      out.push_back(marker::kNull);
      break;
    case Type::undefined:
      out.push_back(marker::kUndefined);
      break;
    case Type::ecma_array:
      out.push_back(marker::kEcmaArray);
      put_uint(value.properties().size(), 4, out);
      put_properties(value.properties(), out);
      break;
    case Type::strict_array:
      out.push_back(marker::kStrictArray);
      put_uint(value.elements().size(), 4, out);
      for (const auto& element : value.elements()) encode(element, out);
      break;
    case Type::date:
      out.push_back(marker::kDate);
      put_uint(std::bit_cast<uint64_t>(value.as_number()), 8, out);
      put_uint(static_cast<uint16_t>(value.timezone()), 2, out);
      break;
  }
}

}  // namespace looplive::ingest::amf0
