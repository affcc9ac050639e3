#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "amf0.hpp"
#include "chunk_reader.hpp"
#include "chunk_writer.hpp"
#include "looplive/core/admission.hpp"
#include "looplive/core/packet_sink.hpp"
#include "looplive/media/flv_tag_reader.hpp"
#include "publisher_counters.hpp"
#include "receive_batching.hpp"
#include "timestamp_unwrapper.hpp"

namespace looplive::ingest {

class RtmpServer;

// One RTMP connection: handshake, chunk stream, commands, and, once admitted,
// the publisher's media into a PacketSink. Everything runs on the session's
// executor (one thread, or a strand), so no member needs a lock.
class RtmpSession : public std::enable_shared_from_this<RtmpSession> {
 public:
  using Socket = boost::asio::ip::tcp::socket;

  RtmpSession(RtmpServer& server, Socket socket, uint64_t id);
  void start();
  // Thread-safe: ends the session from anywhere (server stop, stream ended by the API).
  void close_from_outside(core::EndReason reason);

 private:
  enum class Phase { handshake, connected, admitting, publishing, closing, closed };

  // Reading
  void read_handshake();
  void on_handshake_c0c1();
  void read_chunks();
  void on_read(size_t bytes);
  bool within_budget();  // false when it closed the connection
  void uncount_held();
  void process_pending();
  void handle(RtmpMessage& message);
  void handle_command(const RtmpMessage& message, size_t amf_offset);
  void handle_data(const RtmpMessage& message, size_t amf_offset);
  void handle_media(const RtmpMessage& message);
  void handle_aggregate(const RtmpMessage& message);
  void handle_user_control(const RtmpMessage& message);

  // Commands
  void on_connect(double transaction, const std::vector<amf0::Value>& values);
  void on_create_stream(double transaction);
  void on_publish(const std::vector<amf0::Value>& values);
  void on_admission(core::AdmissionResult result);
  void end_publish(core::EndReason reason);
  void stop_batching();
  int unread_bytes();      // what the kernel holds for us (FIONREAD)
  void acknowledge_now();  // TCP_QUICKACK: the segments read so far are acknowledged at once
  void set_receive_mark(int bytes);

  // Writing
  void send(uint32_t chunk_stream, uint8_t type, uint32_t stream,
            const std::vector<uint8_t>& payload);
  void send_command(uint32_t stream, const std::vector<amf0::Value>& values);
  void send_status(const std::string& level, const std::string& code,
                   const std::string& description);
  void queue(std::vector<uint8_t> bytes);  // closes the session when the client reads too little
  void write_next();

  // Ending
  void close(core::EndReason reason, const std::string& why);
  void close_after_flush(core::EndReason reason, const std::string& why);
  void arm_idle_timer();
  void log_stats();
  void report_figures(bool connected);  // into the server's figures registry, if it has one

  std::string tag() const;

  RtmpServer& server_;
  Socket socket_;
  const uint64_t id_;
  std::string remote_;
  Phase phase_ = Phase::handshake;

  boost::asio::steady_timer deadline_;  // handshake, then idle timeout, then closing grace
  boost::asio::steady_timer stats_timer_;
  ReceiveBatching batching_;
  std::chrono::steady_clock::time_point last_input_ = std::chrono::steady_clock::now();

  std::vector<uint8_t> in_;  // bytes read and not consumed yet
  size_t in_used_ = 0;
  bool reading_ = false;
  ChunkReader reader_;
  ChunkWriter writer_;
  std::vector<RtmpMessage> parsed_;  // the last read's messages
  std::deque<RtmpMessage> pending_;  // parsed, not handled yet (held while admission runs)
  size_t counted_held_ = 0;          // in the server's total of connections not publishing
  uint64_t bytes_in_ = 0;
  uint64_t last_ack_ = 0;
  uint32_t peer_window_ = 0;

  std::deque<std::vector<uint8_t>> out_;  // one write in flight at a time
  size_t queued_bytes_ = 0;               // in out_
  bool writing_ = false;
  core::EndReason closing_reason_ = core::EndReason::publisher_closed;

  // Publishing
  std::string app_;
  std::string key_hint_;  // redacted key, for logs
  uint32_t publish_stream_ = 0;
  std::string stream_id_;
  std::optional<uint64_t> registry_token_;
  std::shared_ptr<core::PacketSink> sink_;
  media::FlvTagReader tag_reader_;
  PublisherCounters counters_;
  TimestampUnwrapper video_clock_;
  TimestampUnwrapper audio_clock_;
  std::string last_ignored_;
};

}  // namespace looplive::ingest
