#include "looplive/media/av1_obus.hpp"

#include <vector>

namespace looplive::media {

core::SharedBytes without_dropped_av1_obus(const core::SharedBytes& payload) {
  const std::span<const uint8_t> in = payload.span();
  std::vector<uint8_t> kept;
  bool dropped = false;
  const core::Status walked = walk_av1_obus(in, [&](const Av1Obu& obu) {
    const bool drop = obu.type == kObuTemporalDelimiter || obu.type == kObuRedundantFrameHeader ||
                      obu.type == kObuTileList || obu.type == kObuPadding;
    if (drop && !dropped) kept.assign(in.data(), obu.whole.data());
    dropped = dropped || drop;
    if (dropped && !drop) kept.insert(kept.end(), obu.whole.begin(), obu.whole.end());
    return true;
  });
  if (!walked) return payload;  // not ours to fix
  return dropped ? core::SharedBytes(std::move(kept)) : payload;
}

}  // namespace looplive::media
