#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "looplive/core/ladder_choice.hpp"
#include "looplive/core/media_types.hpp"
#include "looplive/core/product_tag.hpp"

namespace looplive::core {

enum class EndReason { publisher_closed, publisher_timeout, protocol_error, kicked, shutdown };
std::string_view end_reason_name(EndReason reason);

// Where an admitted publisher's media goes (the packager). Calls for one
// publish come from its session's executor, in order; implementations must not block.
class PacketSink {
 public:
  virtual ~PacketSink() = default;
  virtual void on_track(const TrackInfo& track) = 0;  // new track or new codec configuration
  virtual void on_packet(const MediaPacket& packet) = 0;
  // A track that stops for the rest of the publish (a ladder rung too slow
  // for real time): a packager stops listing it, so players move to the
  // others. Packets of it that follow are ignored.
  virtual void end_track(uint8_t /*track_id*/) {}
  virtual void finish(EndReason reason) = 0;
};

struct PublishGrant {
  std::string stream_id;
  bool record = false;
  uint64_t connection_id = 0;          // the publisher's connection, named in log lines
  std::optional<LadderChoice> ladder;  // the stream's own; none: the server's default
  // Tags an earlier run placed (AdmissionResult::earlier_tags).
  std::shared_ptr<const std::vector<ProductTag>> earlier_tags;
};

class SinkFactory {
 public:
  virtual ~SinkFactory() = default;
  virtual std::shared_ptr<PacketSink> open(const PublishGrant& grant) = 0;
};

}  // namespace looplive::core
