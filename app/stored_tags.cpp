#include "stored_tags.hpp"

#include <exception>

#include "looplive/control_api/tag_cue.hpp"
#include "looplive/core/log.hpp"
#include "looplive/db/tag_repository.hpp"

namespace looplive::app {

namespace {

// As many as a stream may hold (packager's TagLimits).
constexpr size_t kMaxStoredTags = 250'000;

}  // namespace

std::vector<core::ProductTag> stored_tags(db::TagRepository* tags, const std::string& stream_id,
                                          const char* why_it_matters) {
  std::vector<core::ProductTag> placed;
  if (tags == nullptr) return placed;
  try {
    for (const db::TagRecord& record : tags->list(stream_id, std::nullopt, kMaxStoredTags))
      placed.push_back(control_api::placed_tag(record));
  } catch (const std::exception& error) {
    core::logger("app")->warn("{} {}: {}", core::log_context(stream_id), why_it_matters,
                              error.what());
  }
  return placed;
}

}  // namespace looplive::app
