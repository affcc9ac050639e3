#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "looplive/core/packet_sink.hpp"

namespace looplive::test {

// What ingest delivered for one publish, as a test sees it.
struct RecordedPublish {
  std::string stream_id;
  std::vector<core::TrackInfo> tracks;
  std::vector<core::MediaPacket> packets;
  std::optional<core::EndReason> end;

  size_t count(uint8_t track) const;
  // DTS never decreases within each track.
  bool monotonic() const;
  const core::TrackInfo* track(core::MediaKind kind) const;
};

// A SinkFactory that keeps everything it is given, thread-safely.
class RecordingSinkFactory : public core::SinkFactory {
 public:
  std::shared_ptr<core::PacketSink> open(const core::PublishGrant& grant) override;
  std::vector<RecordedPublish> publishes(const std::string& stream_id) const;
  size_t opened() const;

 private:
  class Sink;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<RecordedPublish>> all_;
};

}  // namespace looplive::test
