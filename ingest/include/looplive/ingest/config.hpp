#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "looplive/core/config_section.hpp"

namespace looplive::ingest {

// The rtmp: section of the configuration file.
struct RtmpConfig {
  std::string host = "0.0.0.0";
  uint16_t port = 1935;
  std::string app = "live";
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds idle_timeout{
      30'000};  // a publisher that sends nothing this long is dropped
  std::chrono::milliseconds stats_interval{
      5'000};  // how often ingest figures are logged per publisher
  // A publisher's socket wakes the server once per whole RTMP message, not per TCP
  // segment (fewer wake-ups, no added latency); false wakes on every segment.
  bool receive_batching = true;
  uint32_t max_connections = 10'000;
  // From one address: a studio runs a few encoders behind one NAT; a flood
  // from one address must not take every slot (and database lookup) from the rest.
  uint32_t max_connections_per_address = 32;
  uint32_t max_message_size = 8 * 1024 * 1024;  // bytes; one video frame must fit
  uint32_t out_chunk_size = 4096;               // our Set Chunk Size towards the client
  uint32_t window_ack_size = 2'500'000;

  bool operator==(const RtmpConfig&) const = default;
};

void read_config(core::ConfigSection section, RtmpConfig& config);

}  // namespace looplive::ingest
