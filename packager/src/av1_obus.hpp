#pragma once

#include "looplive/core/shared_bytes.hpp"

namespace looplive::packager {

// An AV1 temporal unit as an MP4 sample holds it (AV1-ISOBMFF section 2.4),
// as libavformat's mp4 muxer makes it: without temporal delimiters,
// redundant frame headers, tile lists and padding. The payload is shared as
// it is when it has none of them, or when its OBUs cannot be parsed.
core::SharedBytes without_dropped_av1_obus(const core::SharedBytes& payload);

}  // namespace looplive::packager
