#pragma once

#include "looplive/core/packet_sink.hpp"

namespace looplive::app {

// Accepts a publisher's media and drops it: used when no packager is
// configured, so ingest and admission can run on their own.
class DiscardSinkFactory : public core::SinkFactory {
 public:
  std::shared_ptr<core::PacketSink> open(const core::PublishGrant&) override {
    return std::make_shared<Discard>();
  }

 private:
  struct Discard : core::PacketSink {
    void on_track(const core::TrackInfo&) override {}
    void on_packet(const core::MediaPacket&) override {}
    void finish(core::EndReason) override {}
  };
};

}  // namespace looplive::app
