#pragma once

#include <optional>

#include "amf0.hpp"
#include "looplive/media/flv_tag_reader.hpp"

namespace looplive::ingest {

// The width, height and frame rate an encoder's onMetaData announces, for
// codecs whose configuration does not carry them. Nothing when `on_metadata`
// is not an object; a field that is missing or not a positive number is 0.
std::optional<media::FlvTagReader::Hints> metadata_hints(const amf0::Value& on_metadata);

}  // namespace looplive::ingest
