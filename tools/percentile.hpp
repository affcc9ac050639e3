#pragma once

// Percentiles of measured times in the bench tools (nearest rank).

#include <algorithm>
#include <cstddef>
#include <vector>

namespace looplive::tools {

// The value at fraction `p` (0..1) of `values`, 0 when there are none.
inline double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

}  // namespace looplive::tools
