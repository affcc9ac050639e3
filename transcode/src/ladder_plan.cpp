#include "looplive/transcode/ladder_plan.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace looplive::transcode {
namespace {

// Bitrates for H.264 at 30 frames a second, as common ladders use them.
constexpr std::array<core::Rung, 4> kUsualRungs{{
    {1080, 5'000'000},
    {720, 2'800'000},
    {480, 1'200'000},
    {360, 600'000},
}};

constexpr size_t kMaxRungs = 4;

uint16_t even(double value) {
  return static_cast<uint16_t>(std::max(2.0, 2.0 * std::round(value / 2)));
}

bool browsers_play(const core::TrackInfo& source) {
  return source.codec == core::Codec::h264;
}

// An H.264 rendition of a source browsers cannot play: its own height, 1080p at most.
core::Rung compatible_rung(const core::TrackInfo& source) {
  const uint16_t height = std::min<uint16_t>(source.height, 1080);
  return {height, usual_bitrate(height)};
}

}  // namespace

uint64_t usual_bitrate(uint16_t height) {
  for (auto it = kUsualRungs.rbegin(); it != kUsualRungs.rend(); ++it)
    if (it->height >= height) return it->bitrate;
  return kUsualRungs.front().bitrate;
}

std::vector<RungPlan> plan_ladder(const core::TrackInfo& source,
                                  std::span<const core::Rung> wanted) {
  std::vector<RungPlan> plan;
  if (source.kind != core::MediaKind::video || source.width == 0 || source.height == 0) return plan;
  std::vector<core::Rung> rungs;
  if (wanted.empty()) {
    for (const core::Rung& rung : kUsualRungs)
      if (rung.height < source.height) rungs.push_back(rung);
  } else {
    for (const core::Rung& rung : wanted)
      if (rung.height <= source.height) rungs.push_back(rung);
  }
  if (rungs.empty() && !browsers_play(source)) rungs.push_back(compatible_rung(source));
  std::sort(rungs.begin(), rungs.end(),
            [](const core::Rung& a, const core::Rung& b) { return a.height > b.height; });
  rungs.erase(
      std::unique(rungs.begin(), rungs.end(),
                  [](const core::Rung& a, const core::Rung& b) { return a.height == b.height; }),
      rungs.end());
  if (rungs.size() > kMaxRungs) rungs.resize(kMaxRungs);
  const double aspect = static_cast<double>(source.width) / source.height;
  for (const core::Rung& rung : rungs) {
    RungPlan p;
    p.rendition = static_cast<uint8_t>(plan.size() + 1);
    p.height = even(rung.height);
    p.width = even(rung.height * aspect);
    p.bitrate = rung.bitrate;
    plan.push_back(p);
  }
  return plan;
}

std::vector<RungPlan> plan_compatible_rung(const core::TrackInfo& source) {
  if (source.kind != core::MediaKind::video || browsers_play(source)) return {};
  const core::Rung rung = compatible_rung(source);
  return plan_ladder(source, std::span(&rung, 1));
}

}  // namespace looplive::transcode
