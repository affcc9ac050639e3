#include "metadata_hints.hpp"

#include <catch2/catch.hpp>

using namespace looplive::ingest;

TEST_CASE("onMetaData gives the picture hints an encoder announces", "[flv]") {
  auto hints = metadata_hints(amf0::Value::ecma_array({
      {"duration", amf0::Value::number(0)},
      {"width", amf0::Value::number(1280)},
      {"height", amf0::Value::number(720)},
      {"framerate", amf0::Value::number(29.97)},
      {"encoder", amf0::Value::string("obs-output module")},
  }));
  REQUIRE(hints);
  CHECK(hints->width == 1280);
  CHECK(hints->height == 720);
  CHECK(hints->frame_rate == Approx(29.97));

  // x265 and some phones say videoframerate.
  auto other = metadata_hints(amf0::Value::object({{"videoframerate", amf0::Value::number(50)}}));
  REQUIRE(other);
  CHECK(other->width == 0);
  CHECK(other->frame_rate == Approx(50.0));
}

TEST_CASE("onMetaData values that are not positive numbers are not used", "[flv]") {
  auto hints = metadata_hints(amf0::Value::object({
      {"width", amf0::Value::string("1280")},
      {"height", amf0::Value::number(-720)},
      {"framerate", amf0::Value::boolean(true)},
  }));
  REQUIRE(hints);
  CHECK(hints->width == 0);
  CHECK(hints->height == 0);
  CHECK(hints->frame_rate == 0);
  CHECK_FALSE(metadata_hints(amf0::Value::string("not an object")));
}
