#include "vod_finalizer.hpp"

#include "looplive/control_api/tag_cue.hpp"
#include "looplive/core/log.hpp"
#include "looplive/db/tag_repository.hpp"
#include "looplive/packager/packager.hpp"

namespace looplive::app {

namespace {

VodResult from(const packager::EndResult& result) {
  return VodResult{result.recorded, result.vod_playlist, result.duration_seconds,
                   result.recording_error};
}

// As many as a stream may hold (packager's TagLimits).
constexpr size_t kMaxStoredTags = 250'000;

// The stream's stored tags; none when the database cannot say (the replay
// then lists the tags this process placed, and the end goes on).
std::vector<core::ProductTag> stored_tags(db::TagRepository* tags, const std::string& stream_id) {
  std::vector<core::ProductTag> placed;
  if (tags == nullptr) return placed;
  try {
    for (const db::TagRecord& record : tags->list(stream_id, std::nullopt, kMaxStoredTags))
      placed.push_back(control_api::placed_tag(record));
  } catch (const std::exception& error) {
    core::logger("app")->warn("{} the replay lists only this run's tags: {}",
                              core::log_context(stream_id), error.what());
  }
  return placed;
}

}  // namespace

VodResult VodFinalizer::end(const std::string& stream_id) {
  if (!packager_) return {};
  return from(packager_->end_stream(stream_id, stored_tags(tags_, stream_id)));
}

VodResult VodFinalizer::recover(const std::string& stream_id, bool recorded) {
  if (!packager_) return {};
  return from(packager_->recover_stream(stream_id, recorded, stored_tags(tags_, stream_id)));
}

}  // namespace looplive::app
