#include "looplive/core/ladder_choice.hpp"

#include <charconv>
#include <optional>

namespace looplive::core {
namespace {

// The digits at the front of `text`, taken off it; nothing when there are none.
std::optional<uint64_t> take_number(std::string_view& text) {
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end == text.data()) return std::nullopt;
  text.remove_prefix(static_cast<size_t>(end - text.data()));
  return value;
}

}  // namespace

Result<Rung> parse_rung(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  std::string_view rest = text;
  const auto height = take_number(rest);
  if (!height || !rest.starts_with("p@"))
    return Error{quoted + " is not a rung such as \"480p@1200k\""};
  rest.remove_prefix(2);
  const auto kbits = take_number(rest);
  if (!kbits || rest != "k") return Error{quoted + " is not a rung such as \"480p@1200k\""};
  if (*height < 144 || *height > 2160 || *height % 2 != 0)
    return Error{quoted + ": the height must be even, from 144 to 2160"};
  if (*kbits < 100 || *kbits > 50'000)
    return Error{quoted + ": the bitrate must be from 100k to 50000k"};
  return Rung{static_cast<uint16_t>(*height), *kbits * 1000};
}

std::string rung_text(const Rung& rung) {
  return std::to_string(rung.height) + "p@" + std::to_string(rung.bitrate / 1000) + "k";
}

std::optional<LadderChoice> parse_ladder_mode(std::string_view text) {
  if (text == "off") return LadderChoice{};
  if (text == "auto") return LadderChoice{.enabled = true};
  if (text == "compatible") return LadderChoice{.enabled = true, .compatible_only = true};
  return std::nullopt;
}

std::optional<std::string_view> ladder_mode_text(const LadderChoice& choice) {
  if (!choice.enabled) return "off";
  if (choice.compatible_only) return "compatible";
  if (choice.rungs.empty()) return "auto";
  return std::nullopt;
}

}  // namespace looplive::core
