#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace looplive::core {

struct ViewerFigures {
  uint64_t current = 0, peak = 0, unique = 0;
  std::optional<double> average_watch_seconds;
};

// Where viewer figures come from (the origin, which sees the players'
// requests). Implementations are thread-safe and answer quickly.
class ViewerSource {
 public:
  virtual ~ViewerSource() = default;
  virtual ViewerFigures viewers(const std::string& stream_id) const = 0;
};

}  // namespace looplive::core
