#include "looplive/transcode/ladder.hpp"

#include "ladder_sink.hpp"

namespace looplive::transcode {

std::optional<std::string> LadderStatus::trouble(const std::string& stream_id) const {
  std::lock_guard lock(mutex_);
  const auto found = troubles_.find(stream_id);
  if (found == troubles_.end()) return std::nullopt;
  return found->second;
}

void LadderStatus::set(const std::string& stream_id, std::optional<std::string> trouble) {
  std::lock_guard lock(mutex_);
  if (trouble) {
    troubles_[stream_id] = std::move(*trouble);
  } else {
    troubles_.erase(stream_id);
  }
}

LadderSinks::LadderSinks(LadderConfig config, core::SinkFactory& downstream)
    : config_(std::move(config)),
      downstream_(downstream),
      status_(std::make_shared<LadderStatus>()) {}

std::shared_ptr<core::PacketSink> LadderSinks::open(const core::PublishGrant& grant) {
  std::shared_ptr<core::PacketSink> sink = downstream_.open(grant);
  const core::LadderChoice& choice = grant.ladder ? *grant.ladder : config_.by_default;
  if (!sink || !choice.enabled) return sink;
  LadderConfig config = config_;
  if (!choice.rungs.empty()) config.rungs = choice.rungs;
  return std::make_shared<LadderSink>(std::move(sink), config, choice.compatible_only,
                                      grant.stream_id, status_);
}

}  // namespace looplive::transcode
