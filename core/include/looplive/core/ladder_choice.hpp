#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "looplive/core/result.hpp"

namespace looplive::core {

// One rendition of an adaptive ladder: a height (the width keeps the
// source's aspect ratio) and a target bitrate in bits per second. Written
// "480p@1200k" in the configuration, the API and the database.
struct Rung {
  uint16_t height = 0;
  uint64_t bitrate = 0;
  bool operator==(const Rung&) const = default;
};

// An error names what is wrong: an even height from 144 to 2160, 100k to 50000k.
Result<Rung> parse_rung(std::string_view text);
std::string rung_text(const Rung& rung);

// A stream's own ladder, over the server's default: none, or one with these
// rungs (empty: derived from the source), or (compatible_only) one H.264
// rung for a source browsers cannot play (HEVC, AV1) and none for H.264.
struct LadderChoice {
  bool enabled = false;
  bool compatible_only = false;
  std::vector<Rung> rungs;
  bool operator==(const LadderChoice&) const = default;
};

// The modes written as words in the configuration, the API and the
// database: "off", "auto" (rungs derived from the source) and "compatible".
std::optional<LadderChoice> parse_ladder_mode(std::string_view text);
// The word for a choice without rungs of its own; nothing for one with rungs.
std::optional<std::string_view> ladder_mode_text(const LadderChoice& choice);

}  // namespace looplive::core
