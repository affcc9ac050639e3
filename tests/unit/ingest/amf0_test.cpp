#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "amf0.hpp"

namespace amf0 = looplive::ingest::amf0;
using amf0::Value;

namespace {

using Bytes = std::vector<uint8_t>;

// Hand-rolled AMF0 writers, so decoding is checked against bytes that do not
// come from the encoder under test.
void u16(Bytes& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void u32(Bytes& out, uint32_t v) {
  u16(out, static_cast<uint16_t>(v >> 16));
  u16(out, static_cast<uint16_t>(v));
}
void name(Bytes& out, const std::string& text) {
  u16(out, static_cast<uint16_t>(text.size()));
  out.insert(out.end(), text.begin(), text.end());
}
void string(Bytes& out, const std::string& text) {
  out.push_back(0x02);
  name(out, text);
}
void number(Bytes& out, double v) {
  out.push_back(0x00);
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  u32(out, static_cast<uint32_t>(bits >> 32));
  u32(out, static_cast<uint32_t>(bits));
}
void boolean(Bytes& out, bool v) {
  out.push_back(0x01);
  out.push_back(v ? 1 : 0);
}
void object_end(Bytes& out) {
  u16(out, 0);
  out.push_back(0x09);
}

Bytes encoded(const Value& value) {
  Bytes out;
  amf0::encode(value, out);
  return out;
}

Value round_trip(const Value& value) {
  auto decoded = amf0::decode_all(encoded(value));
  INFO((decoded ? std::string() : decoded.error().message));
  REQUIRE(decoded.ok());
  REQUIRE(decoded->size() == 1);
  return decoded->front();
}

std::string decode_error(const Bytes& bytes) {
  auto decoded = amf0::decode_all(bytes);
  REQUIRE_FALSE(decoded.ok());
  return decoded.error().message;
}

// The payload of FFmpeg's `connect` when publishing (libavformat/rtmpproto.c).
Bytes ffmpeg_connect() {
  Bytes out;
  string(out, "connect");
  number(out, 1);
  out.push_back(0x03);
  name(out, "app");
  string(out, "live");
  name(out, "type");
  string(out, "nonprivate");
  name(out, "flashVer");
  string(out, "FMLE/3.0 (compatible; Lavf60.16.100)");
  name(out, "tcUrl");
  string(out, "rtmp://127.0.0.1:1935/live");
  object_end(out);
  return out;
}

// OBS's `connect`, followed by the `@setDataFrame` shape of metadata with an
// ECMA array whose count is wrong, as some encoders send it.
Bytes obs_connect_and_metadata() {
  Bytes out;
  string(out, "connect");
  number(out, 1);
  out.push_back(0x03);
  name(out, "app");
  string(out, "live");
  name(out, "type");
  string(out, "nonprivate");
  name(out, "flashVer");
  string(out, "FMLE/3.0 (compatible; FMSc/1.0)");
  name(out, "swfUrl");
  string(out, "rtmp://example.com/live");
  name(out, "tcUrl");
  string(out, "rtmp://example.com/live");
  name(out, "fpad");
  boolean(out, false);
  name(out, "capabilities");
  number(out, 15);
  name(out, "videoFunction");
  number(out, 1);
  object_end(out);
  out.push_back(0x05);  // null
  string(out, "onMetaData");
  out.push_back(0x08);
  u32(out, 0);  // claims no entries
  name(out, "width");
  number(out, 1920);
  name(out, "height");
  number(out, 1080);
  name(out, "stereo");
  boolean(out, true);
  object_end(out);
  return out;
}

Value rich_value() {
  return Value::object({
      {"number", Value::number(-12.5)},
      {"yes", Value::boolean(true)},
      {"text", Value::string("héllo")},
      {"empty", Value::string("")},
      {"nothing", Value::null()},
      {"unset", Value::undefined()},
      {"when", Value::date(1700000000000.0, -60)},
      {"list", Value::strict_array({Value::number(1), Value::string("two"),
                                    Value::object({{"three", Value::number(3)}})})},
      {"map", Value::ecma_array({{"a", Value::boolean(false)},
                                 {"b", Value::ecma_array({})},
                                 {"c", Value::strict_array({})}})},
      {"inner", Value::object({{"deeper", Value::object({{"deepest", Value::null()}})}})},
      {"", Value::number(0)},  // an empty name is legal when no end marker follows
  });
}

// `depth` containers nested inside each other, innermost holding a number.
Bytes nested(int depth, uint8_t container) {
  Bytes out;
  for (int i = 0; i < depth; ++i) {
    out.push_back(container);
    if (container == 0x0A) {
      u32(out, 1);
    } else {
      if (container == 0x08) u32(out, 1);
      name(out, "k");
    }
  }
  number(out, 7);
  for (int i = 0; i < depth; ++i) {
    if (container != 0x0A) object_end(out);
  }
  return out;
}

}  // namespace

TEST_CASE("AMF0 encodes the canonical bytes", "[ingest][amf0]") {
  CHECK(encoded(Value::number(1.0)) == Bytes{0x00, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0});
  CHECK(encoded(Value::boolean(true)) == Bytes{0x01, 0x01});
  CHECK(encoded(Value::boolean(false)) == Bytes{0x01, 0x00});
  CHECK(encoded(Value::string("ab")) == Bytes{0x02, 0x00, 0x02, 'a', 'b'});
  CHECK(encoded(Value::long_string("ab")) == Bytes{0x0C, 0, 0, 0, 2, 'a', 'b'});
  CHECK(encoded(Value::null()) == Bytes{0x05});
  CHECK(encoded(Value()) == Bytes{0x05});
  CHECK(encoded(Value::undefined()) == Bytes{0x06});
  CHECK(encoded(Value::object({{"a", Value::boolean(true)}})) ==
        Bytes{0x03, 0x00, 0x01, 'a', 0x01, 0x01, 0x00, 0x00, 0x09});
  CHECK(encoded(Value::ecma_array({{"a", Value::null()}})) ==
        Bytes{0x08, 0, 0, 0, 1, 0x00, 0x01, 'a', 0x05, 0x00, 0x00, 0x09});
  CHECK(encoded(Value::strict_array({Value::null(), Value::undefined()})) ==
        Bytes{0x0A, 0, 0, 0, 2, 0x05, 0x06});
  CHECK(encoded(Value::date(0.0, -1)) == Bytes{0x0B, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF});
}

TEST_CASE("AMF0 switches to long strings past 65535 bytes", "[ingest][amf0]") {
  const std::string limit(65535, 'x');
  Bytes out = encoded(Value::string(limit));
  CHECK(out.size() == 3 + 65535);
  CHECK(out[0] == 0x02);

  const std::string longer(65536, 'y');
  out = encoded(Value::string(longer));
  REQUIRE(out.size() == 5 + 65536);
  CHECK(Bytes(out.begin(), out.begin() + 5) == Bytes{0x0C, 0x00, 0x01, 0x00, 0x00});

  const Value back = round_trip(Value::string(longer));
  CHECK(back.type() == amf0::Type::long_string);
  CHECK(back.as_string() == longer);
}

TEST_CASE("AMF0 round-trips every type", "[ingest][amf0]") {
  const Value values[] = {
      Value::number(0),
      Value::number(-0.0),
      Value::number(3.141592653589793),
      Value::number(std::numeric_limits<double>::infinity()),
      Value::number(std::numeric_limits<double>::quiet_NaN()),
      Value::number(std::numeric_limits<double>::denorm_min()),
      Value::boolean(true),
      Value::boolean(false),
      Value::string(""),
      Value::string(std::string("nul\0inside", 10)),
      Value::long_string(std::string(70000, 'z')),
      Value::null(),
      Value::undefined(),
      Value::object({}),
      Value::ecma_array({}),
      Value::strict_array({}),
      Value::date(-1.5, 32767),
      Value::date(1e15, -32768),
      rich_value(),
  };
  for (const Value& value : values) {
    const Value back = round_trip(value);
    CHECK(back == value);
    CHECK(encoded(back) == encoded(value));
  }

  const Value rich = round_trip(rich_value());
  REQUIRE(rich.type() == amf0::Type::object);
  CHECK(rich.properties().size() == 11);
  CHECK(rich.properties()[0].first == "number");
  CHECK(rich.get("number")->as_number() == -12.5);
  CHECK(rich.get("yes")->as_boolean());
  CHECK(rich.get("text")->as_string() == "héllo");
  CHECK(rich.get("unset")->type() == amf0::Type::undefined);
  CHECK(rich.get("when")->type() == amf0::Type::date);
  CHECK(rich.get("when")->as_number() == 1700000000000.0);
  CHECK(rich.get("when")->timezone() == -60);
  const Value* list = rich.get("list");
  REQUIRE(list != nullptr);
  REQUIRE(list->elements().size() == 3);
  CHECK(list->elements()[2].get("three")->as_number() == 3);
  CHECK(rich.get("map")->type() == amf0::Type::ecma_array);
  CHECK(rich.get("inner")->get("deeper")->get("deepest")->type() == amf0::Type::null);
  CHECK(rich.get("")->as_number() == 0);
  CHECK(rich.get("missing") == nullptr);
  CHECK(rich.get("number")->get("number") == nullptr);
}

TEST_CASE("AMF0 equality looks at the value, not the string marker", "[ingest][amf0]") {
  CHECK(Value::string("a") == Value::long_string("a"));
  CHECK_FALSE(Value::string("a") == Value::string("b"));
  CHECK_FALSE(Value::object({}) == Value::ecma_array({}));
  CHECK_FALSE(Value::null() == Value::undefined());
  CHECK_FALSE(Value::number(1) == Value::boolean(true));
  CHECK_FALSE(Value::date(5, 0) == Value::date(5, 1));
  CHECK_FALSE(Value::object({{"a", Value::number(1)}}) == Value::object({{"a", Value::number(2)}}));

  // A long string marker around short text decodes to a plain string.
  auto decoded = amf0::decode_all(Bytes{0x0C, 0, 0, 0, 2, 'h', 'i'});
  REQUIRE(decoded.ok());
  CHECK((*decoded)[0].type() == amf0::Type::string);
  CHECK((*decoded)[0].as_string() == "hi");
}

TEST_CASE("AMF0 decodes FFmpeg's connect command", "[ingest][amf0]") {
  auto decoded = amf0::decode_all(ffmpeg_connect());
  REQUIRE(decoded.ok());
  const auto& values = *decoded;
  REQUIRE(values.size() == 3);
  CHECK(values[0].as_string() == "connect");
  CHECK(values[1].as_number() == 1);
  REQUIRE(values[2].type() == amf0::Type::object);
  CHECK(values[2].get("app")->as_string() == "live");
  CHECK(values[2].get("type")->as_string() == "nonprivate");
  CHECK(values[2].get("flashVer")->as_string() == "FMLE/3.0 (compatible; Lavf60.16.100)");
  CHECK(values[2].get("tcUrl")->as_string() == "rtmp://127.0.0.1:1935/live");
  CHECK(values[2].get("swfUrl") == nullptr);

  // Re-encoding gives back the exact bytes FFmpeg sent.
  Bytes again;
  for (const auto& value : values) amf0::encode(value, again);
  CHECK(again == ffmpeg_connect());
}

TEST_CASE("AMF0 decodes OBS's connect and trusts the end marker over ECMA counts",
          "[ingest][amf0]") {
  auto decoded = amf0::decode_all(obs_connect_and_metadata());
  REQUIRE(decoded.ok());
  const auto& values = *decoded;
  REQUIRE(values.size() == 6);
  CHECK(values[2].get("fpad")->as_boolean() == false);
  CHECK(values[2].get("capabilities")->as_number() == 15);
  CHECK(values[3].type() == amf0::Type::null);
  CHECK(values[3].is_null_or_undefined());
  CHECK(values[4].as_string() == "onMetaData");
  CHECK(values[5].type() == amf0::Type::ecma_array);
  REQUIRE(values[5].properties().size() == 3);
  CHECK(values[5].get("width")->as_number() == 1920);
  CHECK(values[5].get("height")->as_number() == 1080);
  CHECK(values[5].get("stereo")->as_boolean());
}

TEST_CASE("AMF0 reports every truncation as an error", "[ingest][amf0]") {
  SECTION("a single value cut anywhere") {
    const Bytes whole = encoded(rich_value());
    for (size_t length = 1; length < whole.size(); ++length) {
      INFO("length " << length);
      auto decoded = amf0::decode_all(std::span(whole).first(length));
      CHECK_FALSE(decoded.ok());
    }
  }
  SECTION("a command cut anywhere is an error or a shorter list of whole values") {
    const Bytes whole = obs_connect_and_metadata();
    auto full = amf0::decode_all(whole);
    REQUIRE(full.ok());
    size_t clean_cuts = 0;
    for (size_t length = 0; length < whole.size(); ++length) {
      INFO("length " << length);
      auto decoded = amf0::decode_all(std::span(whole).first(length));
      if (!decoded.ok()) {
        CHECK_THAT(decoded.error().message, Catch::StartsWith("amf0: truncated"));
        continue;
      }
      ++clean_cuts;
      REQUIRE(decoded->size() < full->size());
      for (size_t i = 0; i < decoded->size(); ++i) CHECK((*decoded)[i] == (*full)[i]);
    }
    CHECK(clean_cuts == 6);  // the empty input and the five boundaries between values
  }
  SECTION("lengths larger than the input") {
    CHECK_THAT(decode_error({0x02, 0xFF, 0xFF, 'a'}), Catch::Contains("truncated string"));
    CHECK_THAT(decode_error({0x0C, 0xFF, 0xFF, 0xFF, 0xFF, 'a'}),
               Catch::Contains("truncated long string"));
    CHECK_THAT(decode_error({0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x05, 0x05}),
               Catch::Contains("truncated value marker"));
    CHECK_THAT(decode_error({0x03, 0x00, 0x05, 'a'}), Catch::Contains("truncated property name"));
  }
}

TEST_CASE("AMF0 refuses unknown and unsupported markers", "[ingest][amf0]") {
  for (uint8_t marker : {0x04, 0x07, 0x0D, 0x0E, 0x0F, 0x10, 0x11, 0x12, 0x7F, 0xFF}) {
    INFO("marker " << int{marker});
    CHECK_FALSE(amf0::decode_all(Bytes{marker, 0, 0, 0, 0, 0, 0, 0, 0}).ok());
    Bytes inside = {0x03, 0x00, 0x01, 'a', marker, 0, 0, 0, 0};
    CHECK_FALSE(amf0::decode_all(inside).ok());
  }
  CHECK_THAT(decode_error({0x07, 0x00, 0x01}), Catch::Contains("references"));
  CHECK_THAT(decode_error({0x11, 0x01}), Catch::Contains("AMF3"));
  CHECK_THAT(decode_error({0x10, 0x00, 0x01, 'T'}), Catch::Contains("typed objects"));
  CHECK_THAT(decode_error({0x09}), Catch::Contains("object end marker outside an object"));
  CHECK_THAT(decode_error({0x0D}), Catch::Contains("unknown marker 13"));
  CHECK_THAT(decode_error({0x00, 0x3F, 0xF0}), Catch::Contains("truncated number"));
  CHECK_THAT(decode_error({0x03, 0x00, 0x01, 'a', 0x09}),
             Catch::Contains("object end marker after property name"));
}

TEST_CASE("AMF0 limits nesting to 64 levels", "[ingest][amf0]") {
  for (uint8_t container : {uint8_t{0x03}, uint8_t{0x08}, uint8_t{0x0A}}) {
    INFO("container " << int{container});
    auto ok = amf0::decode_all(nested(64, container));
    REQUIRE(ok.ok());
    const Value* inner = &(*ok)[0];
    for (int i = 0; i < 64; ++i) {
      inner = container == 0x0A ? &inner->elements()[0] : inner->get("k");
      REQUIRE(inner != nullptr);
    }
    CHECK(inner->as_number() == 7);

    auto too_deep = amf0::decode_all(nested(65, container));
    REQUIRE_FALSE(too_deep.ok());
    CHECK_THAT(too_deep.error().message, Catch::Contains("nested deeper than 64"));
  }
  // Far deeper input fails the same way instead of exhausting the stack.
  CHECK_THAT(decode_error(nested(100000, 0x0A)), Catch::Contains("nested deeper than 64"));

  Bytes mixed;
  for (int i = 0; i < 70; ++i) {
    const uint8_t kinds[] = {0x03, 0x08, 0x0A};
    mixed.push_back(kinds[i % 3]);
    if (kinds[i % 3] == 0x03) name(mixed, "o");
    if (kinds[i % 3] == 0x08) {
      u32(mixed, 1);
      name(mixed, "e");
    }
    if (kinds[i % 3] == 0x0A) u32(mixed, 1);
  }
  CHECK_THAT(decode_error(mixed), Catch::Contains("nested deeper than 64"));
}

TEST_CASE("AMF0 decodes an empty payload to no values", "[ingest][amf0]") {
  auto decoded = amf0::decode_all({});
  REQUIRE(decoded.ok());
  CHECK(decoded->empty());
}

TEST_CASE("AMF0 decodes at most 4096 values a message", "[ingest][amf0]") {
  // A null is one byte on the wire and a whole Value in memory.
  const auto nulls = [](size_t count) {
    Bytes bytes{0x0A, uint8_t(count >> 24), uint8_t(count >> 16), uint8_t(count >> 8),
                uint8_t(count)};
    bytes.insert(bytes.end(), count, 0x05);
    return bytes;
  };
  auto fits = amf0::decode_all(nulls(4095));  // with the array itself: 4096
  REQUIRE(fits.ok());
  CHECK((*fits)[0].elements().size() == 4095);
  CHECK_THAT(decode_error(nulls(4096)), Catch::Contains("more than 4096 values"));
  CHECK_THAT(decode_error(Bytes(5000, 0x05)), Catch::Contains("more than 4096 values"));
}
