#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ladder_worker.hpp"
#include "looplive/core/packet_sink.hpp"
#include "looplive/transcode/config.hpp"
#include "looplive/transcode/ladder.hpp"

namespace looplive::transcode {

// One publish's ladder in front of its packager sink. Rung packets reach
// the packager from the publisher's own calls (each source packet hands on
// what the worker made since), so the packager's calls stay serialized.
class LadderSink : public core::PacketSink {
 public:
  // compatible_only: rungs only for a source browsers cannot play (HEVC, AV1).
  LadderSink(std::shared_ptr<core::PacketSink> downstream, const LadderConfig& config,
             bool compatible_only, std::string stream_id, std::shared_ptr<LadderStatus> status);
  ~LadderSink() override;

  void on_track(const core::TrackInfo& track) override;
  void on_packet(const core::MediaPacket& packet) override;
  void finish(core::EndReason reason) override;

 private:
  void start(const core::TrackInfo& source);
  void stop(std::optional<std::string> trouble);
  void deliver();
  void end_rungs_except(const std::vector<core::TrackInfo>& kept);

  std::shared_ptr<core::PacketSink> downstream_;
  const LadderConfig config_;
  const bool compatible_only_;
  std::string stream_id_;
  std::shared_ptr<LadderStatus> status_;
  std::optional<core::TrackInfo> source_;
  std::unique_ptr<LadderWorker> worker_;
  LadderOutput made_;              // the worker's output as handed on, its buffers kept
  std::vector<uint8_t> rung_ids_;  // the rung tracks the packager was given, still going
};

}  // namespace looplive::transcode
