#include "looplive/ingest/config.hpp"

#include <limits>

namespace looplive::ingest {

void read_config(core::ConfigSection s, RtmpConfig& c) {
  s.read("host", c.host);
  s.read_int("port", c.port, 1, 65535);
  s.read("app", c.app);
  if (c.app.empty() || c.app.find('/') != std::string::npos)
    s.fail(s.key_path("app"), "must be a non-empty name without '/'");
  s.read_ms("handshake_timeout_ms", c.handshake_timeout, 100, 600'000);
  s.read_ms("idle_timeout_ms", c.idle_timeout, 1'000, 3'600'000);
  s.read_ms("stats_interval_ms", c.stats_interval, 500, 3'600'000);
  s.read_bool("receive_batching", c.receive_batching);
  // Replaced by receive_batching, which follows messages and adds no latency.
  std::chrono::milliseconds old_batch{-1};
  s.read_ms("receive_batch_ms", old_batch, 0, 200);
  if (old_batch.count() >= 0)
    s.fail(s.key_path("receive_batch_ms"),
           "was replaced by receive_batching (true or false): batching now follows RTMP "
           "messages and adds no latency");
  s.read_int("max_connections", c.max_connections, 1, 1'000'000);
  s.read_int("max_connections_per_address", c.max_connections_per_address, 1, 1'000'000);
  s.read_int("max_message_size", c.max_message_size, 64 * 1024, 64 * 1024 * 1024);
  s.read_int("out_chunk_size", c.out_chunk_size, 128, 65536);
  s.read_int("window_ack_size", c.window_ack_size, 4096, std::numeric_limits<int32_t>::max());
  s.finish();
}

}  // namespace looplive::ingest
