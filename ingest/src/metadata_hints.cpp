#include "metadata_hints.hpp"

#include <cmath>
#include <string_view>

namespace looplive::ingest {

std::optional<media::FlvTagReader::Hints> metadata_hints(const amf0::Value& on_metadata) {
  if (on_metadata.type() != amf0::Type::object && on_metadata.type() != amf0::Type::ecma_array)
    return std::nullopt;
  auto number = [&](std::string_view key) {
    const amf0::Value* value = on_metadata.get(key);
    if (!value || value->type() != amf0::Type::number) return 0.0;
    double n = value->as_number();
    return std::isfinite(n) && n > 0 ? n : 0.0;
  };
  media::FlvTagReader::Hints hints;
  hints.width = number("width");
  hints.height = number("height");
  hints.frame_rate = number("framerate");
  if (hints.frame_rate == 0) hints.frame_rate = number("videoframerate");
  return hints;
}

}  // namespace looplive::ingest
