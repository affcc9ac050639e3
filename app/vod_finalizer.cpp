#include "vod_finalizer.hpp"

#include "looplive/core/log.hpp"
#include "looplive/packager/packager.hpp"
#include "stored_tags.hpp"

namespace looplive::app {

namespace {

VodResult from(const packager::EndResult& result) {
  return VodResult{result.recorded, result.vod_playlist, result.duration_seconds,
                   result.recording_error};
}

}  // namespace

VodResult VodFinalizer::end(const std::string& stream_id) {
  if (!packager_) return {};
  return from(packager_->end_stream(
      stream_id, stored_tags(tags_, stream_id, "the replay lists only this run's tags")));
}

VodResult VodFinalizer::recover(const std::string& stream_id, bool recorded) {
  if (!packager_) return {};
  return from(packager_->recover_stream(
      stream_id, recorded, stored_tags(tags_, stream_id, "the replay lists only this run's tags")));
}

}  // namespace looplive::app
