#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "looplive/core/packet_sink.hpp"
#include "looplive/transcode/config.hpp"

namespace looplive::transcode {

// What happened to the ladders of streams being published, for /health.
class LadderStatus {
 public:
  // Why the stream's ladder stopped during its current publish, if it did.
  std::optional<std::string> trouble(const std::string& stream_id) const;
  void set(const std::string& stream_id, std::optional<std::string> trouble);

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::string> troubles_;
};

// Puts a ladder between each publish and the packager: the source's tracks
// and packets pass through untouched, and each video rung (rendition 1, 2,
// ...) joins them as a track of its own, encoded on a thread of the
// stream's. Streams without a ladder get the downstream sink itself.
class LadderSinks : public core::SinkFactory {
 public:
  LadderSinks(LadderConfig config, core::SinkFactory& downstream);

  std::shared_ptr<core::PacketSink> open(const core::PublishGrant& grant) override;
  const LadderStatus& status() const { return *status_; }

 private:
  LadderConfig config_;
  core::SinkFactory& downstream_;
  std::shared_ptr<LadderStatus> status_;
};

}  // namespace looplive::transcode
