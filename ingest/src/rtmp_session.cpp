#include "rtmp_session.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <cerrno>
#include <cstring>

#include <sys/socket.h>

#include "handshake.hpp"
#include "looplive/ingest/rtmp_server.hpp"
#include "rtmp_session_common.hpp"
#include "rtmp_status.hpp"

namespace looplive::ingest {

namespace net = boost::asio;
using boost::system::error_code;

using namespace session;

RtmpSession::RtmpSession(RtmpServer& server, Socket socket, uint64_t id)
    : server_(server),
      socket_(std::move(socket)),
      id_(id),
      deadline_(socket_.get_executor()),
      stats_timer_(socket_.get_executor()),
      batching_(server.config_.receive_batching),
      reader_(server.config_.max_message_size) {
  reader_.hold_back_large_media(true);
  error_code ec;
  auto endpoint = socket_.remote_endpoint(ec);
  remote_ = ec ? "unknown" : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

std::string RtmpSession::tag() const {
  return core::log_context(stream_id_, id_);
}

void RtmpSession::start() {
  net::post(socket_.get_executor(), [self = shared_from_this()] {
    self->deadline_.expires_after(self->server_.config_.handshake_timeout);
    self->deadline_.async_wait([self](error_code ec) {
      if (!ec && self->phase_ == Phase::handshake)
        self->close(core::EndReason::protocol_error, "handshake not completed in time");
    });
    self->read_handshake();
  });
}

void RtmpSession::close_from_outside(core::EndReason reason) {
  net::post(socket_.get_executor(), [self = shared_from_this(), reason] {
    if (self->phase_ == Phase::closed) return;
    if (reason == core::EndReason::kicked && self->phase_ == Phase::publishing) {
      self->send_status("status", status::kUnpublishSuccess, "The stream was ended.");
      self->close_after_flush(reason, "stream ended by the server");
    } else if (reason == core::EndReason::shutdown && self->phase_ == Phase::publishing) {
      self->send_status("error", status::kConnectClosed,
                        "The server is shutting down; reconnect to continue the stream.");
      self->close_after_flush(reason, "server shutting down");
    } else {
      self->close(reason, std::string(core::end_reason_name(reason)));
    }
  });
}

// ---- Handshake ----

void RtmpSession::read_handshake() {
  in_.resize(1 + kHandshakePacketSize);
  net::async_read(socket_, net::buffer(in_), [self = shared_from_this()](error_code ec, size_t) {
    if (ec) return self->close(core::EndReason::publisher_closed, "handshake: " + ec.message());
    self->on_handshake_c0c1();
  });
}

void RtmpSession::on_handshake_c0c1() {
  auto answer = answer_handshake(in_);
  if (!answer)
    return close(core::EndReason::protocol_error, "handshake: " + answer.error().message);
  log()->debug("{} handshake from {} ({} form)", tag(), remote_,
               answer->complex ? "digest" : "plain");
  queue(std::move(answer->s0s1s2));
  in_.resize(kHandshakePacketSize);
  net::async_read(socket_, net::buffer(in_), [self = shared_from_this()](error_code ec, size_t) {
    if (ec) return self->close(core::EndReason::publisher_closed, "handshake: " + ec.message());
    if (self->phase_ != Phase::handshake) return;
    self->phase_ = Phase::connected;
    self->in_.assign(kInitialBuffer, 0);
    self->in_used_ = 0;
    self->arm_idle_timer();
    self->read_chunks();
  });
}

// ---- Reading chunks ----

void RtmpSession::read_chunks() {
  if (reading_ || phase_ == Phase::admitting || phase_ == Phase::closing || phase_ == Phase::closed)
    return;
  // The reader needs one whole chunk in the buffer at a time. The buffer
  // grows (doubling) as the bytes of a large chunk arrive, never ahead of
  // them: a Set Chunk Size costs the client nothing to send.
  const size_t needed = in_used_ + kMinFreeSpace;
  if (in_.size() < needed) in_.resize(std::max(needed, in_.size() * 2));
  reading_ = true;
  socket_.async_read_some(net::buffer(in_.data() + in_used_, in_.size() - in_used_),
                          [self = shared_from_this()](error_code ec, size_t bytes) {
                            self->reading_ = false;
                            if (ec) {
                              if (self->phase_ == Phase::closed) return;
                              return self->close(core::EndReason::publisher_closed,
                                                 ec == net::error::eof ? "publisher disconnected"
                                                                       : "read: " + ec.message());
                            }
                            self->on_read(bytes);
                          });
}

void RtmpSession::on_read(size_t bytes) {
  if (phase_ == Phase::closed || phase_ == Phase::closing) return;
  last_input_ = std::chrono::steady_clock::now();
  in_used_ += bytes;
  bytes_in_ += bytes;
  if (peer_window_ > 0 && bytes_in_ - last_ack_ >= peer_window_) {
    last_ack_ = bytes_in_;
    send(kControlChunkStream, msg::kAcknowledgement, 0,
         acknowledgement_payload(static_cast<uint32_t>(bytes_in_)));
  }

  // The reader may stop after a command (see hold_back_large_media()): what
  // follows it is read once the command is handled.
  size_t consumed = 0;
  do {
    parsed_.clear();  // reused: no allocation per read
    auto fed = reader_.feed(std::span<const uint8_t>(in_.data(), in_used_), parsed_);
    if (!fed) return close(core::EndReason::protocol_error, fed.error().message);
    consumed = *fed;
    std::memmove(in_.data(), in_.data() + consumed, in_used_ - consumed);
    in_used_ -= consumed;
    for (auto& message : parsed_) pending_.push_back(std::move(message));
    process_pending();
    if (phase_ == Phase::closing || phase_ == Phase::closed) return;
  } while (consumed > 0 && in_used_ > 0);
  if (!within_budget()) return;
  if (phase_ == Phase::publishing) {
    const auto unread = std::span<const uint8_t>(in_.data(), in_used_);
    if (auto mark = batching_.wake_after(reader_.bytes_to_finish_message(unread)))
      set_receive_mark(*mark);
    // An encoder that sends 128-byte chunks (librtmp's default) sends a frame
    // as a hundred tiny segments and runs out of congestion window within it;
    // while the mark holds them, the kernel would delay its acknowledgements.
    if (batching_.mark() > 1 && reader_.chunk_size() < kSmallChunk) acknowledge_now();
  }
  read_chunks();
}

void RtmpSession::process_pending() {
  while (!pending_.empty() && phase_ != Phase::admitting && phase_ != Phase::closing &&
         phase_ != Phase::closed) {
    RtmpMessage message = std::move(pending_.front());
    pending_.pop_front();
    handle(message);
  }
  if (phase_ == Phase::admitting && pending_.size() > kMaxPendingWhileAdmitting)
    close(core::EndReason::protocol_error, "too many messages before the publish was admitted");
}

void RtmpSession::handle(RtmpMessage& message) {
  switch (message.type_id) {
    case msg::kCommandAmf0:
      return handle_command(message, 0);
    case msg::kCommandAmf3:
      return handle_command(message, 1);  // AMF3 envelope around AMF0
    case msg::kDataAmf0:
      return handle_data(message, 0);
    case msg::kDataAmf3:
      return handle_data(message, 1);
    case msg::kAudio:
    case msg::kVideo:
      return handle_media(message);
    case msg::kAggregate:
      return handle_aggregate(message);
    case msg::kUserControl:
      return handle_user_control(message);
    case msg::kWindowAckSize:
      if (message.payload.size() >= 4) {
        peer_window_ = read_be32(message.payload.data());
        if (auto mark = batching_.fit_ack_window(peer_window_)) set_receive_mark(*mark);
      }
      return;
    case msg::kAcknowledgement:
    case msg::kSetPeerBandwidth:
      return;
    default:
      log()->debug("{} ignoring message type {}", tag(), message.type_id);
  }
}

void RtmpSession::handle_user_control(const RtmpMessage& message) {
  if (message.payload.size() < 6) return;
  uint16_t event = static_cast<uint16_t>((message.payload[0] << 8) | message.payload[1]);
  if (event == user_control::kPingRequest)
    send(kControlChunkStream, msg::kUserControl, 0,
         user_control_payload(user_control::kPingResponse, read_be32(message.payload.data() + 2)));
}

// ---- Commands ----

void RtmpSession::handle_command(const RtmpMessage& message, size_t amf_offset) {
  if (message.payload.size() < amf_offset)
    return close(core::EndReason::protocol_error, "empty command message");
  auto values = amf0::decode_all(message.payload.span().subspan(amf_offset));
  if (!values) return close(core::EndReason::protocol_error, "command: " + values.error().message);
  const amf0::Value* name = arg(*values, 0);
  const amf0::Value* transaction = arg(*values, 1);
  if (!name || name->type() != amf0::Type::string)
    return close(core::EndReason::protocol_error, "command without a name");
  const std::string& command = name->as_string();
  double txn =
      transaction && transaction->type() == amf0::Type::number ? transaction->as_number() : 0;

  if (command == "connect") return on_connect(txn, *values);
  if (app_.empty())
    return close(core::EndReason::protocol_error, "command '" + command + "' before connect");
  if (command == "createStream") return on_create_stream(txn);
  if (command == "publish") return on_publish(*values);
  if (command == "releaseStream" || command == "FCPublish") {
    if (command == "FCPublish")
      send_command(0,
                   {amf0::Value::string("onFCPublish"), amf0::Value::number(0), amf0::Value::null(),
                    amf0::Value::object({{"code", amf0::Value::string(status::kPublishStart)},
                                         {"description", amf0::Value::string("FCPublish")}})});
    if (txn > 0)
      send_command(0, {amf0::Value::string("_result"), amf0::Value::number(txn),
                       amf0::Value::null(), amf0::Value::undefined()});
    return;
  }
  if (command == "FCUnpublish" || command == "deleteStream" || command == "closeStream") {
    if (phase_ == Phase::publishing) end_publish(core::EndReason::publisher_closed);
    return;
  }
  if (command == "play" || command == "play2") {
    send_status("error", status::kPlayFailed,
                "This server only accepts publishers; watch the stream over HLS or DASH.");
    return close_after_flush(core::EndReason::protocol_error, "playback requested, refused");
  }
  log()->debug("{} ignoring command '{}'", tag(), loggable(command));
}

void RtmpSession::on_connect(double txn, const std::vector<amf0::Value>& values) {
  if (!app_.empty()) return close(core::EndReason::protocol_error, "second connect");
  const amf0::Value* properties = arg(values, 2);
  const amf0::Value* app = properties ? properties->get("app") : nullptr;
  std::string requested =
      app && app->type() == amf0::Type::string ? normalize_name(app->as_string()) : "";
  const amf0::Value* encoding = properties ? properties->get("objectEncoding") : nullptr;
  double object_encoding =
      encoding && encoding->type() == amf0::Type::number ? encoding->as_number() : 0;

  if (requested != server_.config_.app) {
    send_command(0, {amf0::Value::string("_error"), amf0::Value::number(txn), amf0::Value::null(),
                     amf0::Value::object(
                         {{"level", amf0::Value::string("error")},
                          {"code", amf0::Value::string(status::kConnectRejected)},
                          {"description", amf0::Value::string("Unknown application; publish to /" +
                                                              server_.config_.app)}})});
    return close_after_flush(core::EndReason::protocol_error,
                             "connect to unknown application '" + loggable(requested) + "'");
  }
  app_ = requested;
  send(kControlChunkStream, msg::kWindowAckSize, 0,
       window_ack_size_payload(server_.config_.window_ack_size));
  send(kControlChunkStream, msg::kSetPeerBandwidth, 0,
       set_peer_bandwidth_payload(server_.config_.window_ack_size, 2));
  send(kControlChunkStream, msg::kSetChunkSize, 0,
       set_chunk_size_payload(server_.config_.out_chunk_size));
  writer_.set_chunk_size(server_.config_.out_chunk_size);
  send_command(0,
               {amf0::Value::string("_result"), amf0::Value::number(txn),
                amf0::Value::object({{"fmsVer", amf0::Value::string("FMS/3,5,7,7009")},
                                     {"capabilities", amf0::Value::number(31)},
                                     {"mode", amf0::Value::number(1)}}),
                amf0::Value::object({{"level", amf0::Value::string("status")},
                                     {"code", amf0::Value::string(status::kConnectSuccess)},
                                     {"description", amf0::Value::string("Connection succeeded.")},
                                     {"objectEncoding", amf0::Value::number(object_encoding)}})});
}

void RtmpSession::on_create_stream(double txn) {
  publish_stream_ = 1;
  send_command(0, {amf0::Value::string("_result"), amf0::Value::number(txn), amf0::Value::null(),
                   amf0::Value::number(publish_stream_)});
}

void RtmpSession::on_publish(const std::vector<amf0::Value>& values) {
  if (phase_ != Phase::connected)
    return close(core::EndReason::protocol_error, "publish while already publishing");
  const amf0::Value* name = arg(values, 3);
  std::string key =
      name && name->type() == amf0::Type::string ? normalize_name(name->as_string()) : "";
  if (publish_stream_ == 0) publish_stream_ = 1;  // some encoders publish on the default stream
  if (key.empty()) {
    send_status("error", status::kPublishBadName, "A stream key is required.");
    return close_after_flush(core::EndReason::protocol_error, "publish without a stream key");
  }
  key_hint_ = core::redact_key(key);
  if (server_.draining_) {
    log()->info("{} publish refused from {} with key {}: the server is shutting down", tag(),
                remote_, key_hint_);
    send_status("error", status::kFailed,
                "The server is shutting down; publish again in a moment.");
    return close_after_flush(core::EndReason::shutdown, "publish refused: shutting down");
  }
  phase_ = Phase::admitting;
  reader_.hold_back_large_media(false);
  auto executor = socket_.get_executor();
  server_.admission_.check(core::PublishRequest{app_, std::move(key), remote_},
                           [self = shared_from_this(), executor](core::AdmissionResult result) {
                             net::post(executor, [self, result = std::move(result)]() mutable {
                               self->on_admission(std::move(result));
                             });
                           });
}

void RtmpSession::on_admission(core::AdmissionResult result) {
  if (phase_ != Phase::admitting) return;  // closed while the check ran
  switch (result.verdict) {
    case core::AdmissionVerdict::accepted:
      break;
    case core::AdmissionVerdict::unknown_key:
    case core::AdmissionVerdict::not_armed:
      log()->warn("{} publish refused from {} with key {}: {}", tag(), remote_, key_hint_,
                  result.verdict == core::AdmissionVerdict::unknown_key
                      ? "unknown key"
                      : "key revoked or stream ended");
      phase_ = Phase::connected;
      send_status("error", status::kPublishBadName, "Invalid or expired stream key.");
      return close_after_flush(core::EndReason::protocol_error, "publish refused");
    case core::AdmissionVerdict::elsewhere:
      log()->warn("{} publish refused from {} with key {}: {}", tag(), remote_, key_hint_,
                  result.detail);
      phase_ = Phase::connected;
      send_status("error", status::kPublishBadName, "This stream key is already publishing.");
      return close_after_flush(core::EndReason::protocol_error, "publish refused");
    case core::AdmissionVerdict::unavailable:
      log()->error("{} publish refused from {} with key {}: the key store is unavailable ({})",
                   tag(), remote_, key_hint_, result.detail);
      phase_ = Phase::connected;
      send_status("error", status::kFailed,
                  "The stream key could not be checked right now; try again in a moment.");
      return close_after_flush(core::EndReason::protocol_error, "publish refused");
  }

  std::weak_ptr<RtmpSession> weak = shared_from_this();
  const core::PublishGrant grant{result.stream_id, result.record, id_, result.ladder,
                                 result.earlier_tags};
  auto token = server_.registry_.claim(grant, [weak] {
    if (auto self = weak.lock()) self->close_from_outside(core::EndReason::kicked);
  });
  if (!token) {
    log()->warn("{} publish refused from {} with key {}: stream {} already has a publisher", tag(),
                remote_, key_hint_, result.stream_id);
    phase_ = Phase::connected;
    send_status("error", status::kPublishBadName, "This stream key is already publishing.");
    return close_after_flush(core::EndReason::protocol_error, "publish refused");
  }
  registry_token_ = token;
  stream_id_ = result.stream_id;
  sink_ = server_.sinks_.open(grant);
  phase_ = Phase::publishing;
  uncount_held();
  counters_.on_publish_start();
  report_figures(true);
  log()->info("{} publishing from {} with key {} (record={})", tag(), remote_, key_hint_,
              result.record);
  send(kControlChunkStream, msg::kUserControl, 0,
       user_control_payload(user_control::kStreamBegin, publish_stream_));
  send_status("status", status::kPublishStart, "Publishing started.");
  log_stats();
  process_pending();
  read_chunks();
}

void RtmpSession::end_publish(core::EndReason reason) {
  if (sink_) {
    report_figures(false);
    sink_->finish(reason);
    sink_.reset();
    log()->info("{} publish ended ({}): {}", tag(), core::end_reason_name(reason),
                counters_.total_summary());
  }
  if (registry_token_) {
    server_.registry_.release(stream_id_, *registry_token_, reason);
    registry_token_.reset();
  }
  stats_timer_.cancel();
  stop_batching();
  if (phase_ == Phase::publishing) phase_ = Phase::connected;
}

// ---- Writing ----

void RtmpSession::send(uint32_t chunk_stream, uint8_t type, uint32_t stream,
                       const std::vector<uint8_t>& payload) {
  if (phase_ == Phase::closed) return;
  std::vector<uint8_t> bytes;
  writer_.write(chunk_stream, type, 0, stream, payload, bytes);
  queue(std::move(bytes));
}

void RtmpSession::queue(std::vector<uint8_t> bytes) {
  if (queued_bytes_ + bytes.size() > kMaxQueuedReplies)
    return close(core::EndReason::protocol_error, "the client does not read its replies (" +
                                                      std::to_string(queued_bytes_) +
                                                      " bytes waiting)");
  queued_bytes_ += bytes.size();
  out_.push_back(std::move(bytes));
  write_next();
}

void RtmpSession::send_command(uint32_t stream, const std::vector<amf0::Value>& values) {
  std::vector<uint8_t> payload;
  for (const auto& value : values) amf0::encode(value, payload);
  send(kCommandChunkStream, msg::kCommandAmf0, stream, payload);
}

void RtmpSession::send_status(const std::string& level, const std::string& code,
                              const std::string& description) {
  send_command(publish_stream_,
               {amf0::Value::string("onStatus"), amf0::Value::number(0), amf0::Value::null(),
                amf0::Value::object({{"level", amf0::Value::string(level)},
                                     {"code", amf0::Value::string(code)},
                                     {"description", amf0::Value::string(description)}})});
}

void RtmpSession::write_next() {
  if (writing_ || out_.empty() || phase_ == Phase::closed) return;
  writing_ = true;
  net::async_write(
      socket_, net::buffer(out_.front()), [self = shared_from_this()](error_code ec, size_t) {
        self->writing_ = false;
        if (self->phase_ == Phase::closed) return;
        self->queued_bytes_ -= self->out_.front().size();
        self->out_.pop_front();
        if (ec) return self->close(core::EndReason::publisher_closed, "write: " + ec.message());
        if (self->out_.empty() && self->phase_ == Phase::closing)
          return self->close(self->closing_reason_, "closed after the last reply");
        self->write_next();
      });
}

// ---- Ending ----

// The one place a connection's memory is weighed: after each read, until it
// publishes. Over budget, it is cut and counted (looplive_rtmp_connections_cut_total).
bool RtmpSession::within_budget() {
  // A publisher's reads touch nothing shared here: it left the count when admitted.
  if (phase_ == Phase::publishing) return true;
  size_t held = in_.capacity() + reader_.reserved_bytes() + queued_bytes_;
  for (const auto& message : pending_) held += message.payload.size();
  // The change may be negative: unsigned addition wraps it into a subtraction.
  const size_t change = held - counted_held_;
  const size_t all = server_.unadmitted_bytes_.fetch_add(change) + change;
  counted_held_ = held;
  std::string over;
  if (held > kUnadmittedBudget) {
    over = "its own budget of " + std::to_string(kUnadmittedBudget);
  } else if (all > kAllUnadmittedBudget) {
    over = "the budget of " + std::to_string(kAllUnadmittedBudget) + " for all such connections";
  }
  if (over.empty()) return true;
  server_.memory_cuts_.fetch_add(1, std::memory_order_relaxed);
  close(core::EndReason::protocol_error,
        "holds " + std::to_string(held) + " bytes before publishing, over " + over);
  return false;
}

void RtmpSession::uncount_held() {
  server_.unadmitted_bytes_.fetch_sub(counted_held_);
  counted_held_ = 0;
}

void RtmpSession::close(core::EndReason reason, const std::string& why) {
  if (phase_ == Phase::closed) return;
  uncount_held();
  if (reason == core::EndReason::shutdown && phase_ != Phase::publishing)
    log()->debug("{} connection from {} closed: {}", tag(), remote_, why);
  else if (reason == core::EndReason::publisher_closed || reason == core::EndReason::shutdown ||
           phase_ == Phase::closing)
    log()->info("{} connection from {} closed: {}", tag(), remote_, why);
  else
    log()->warn("{} connection from {} closed: {}", tag(), remote_, why);
  end_publish(reason);
  phase_ = Phase::closed;
  deadline_.cancel();
  stats_timer_.cancel();
  error_code ignored;
  socket_.shutdown(Socket::shutdown_both, ignored);
  socket_.close(ignored);
  pending_.clear();
  out_.clear();
  queued_bytes_ = 0;
  server_.forget(id_);
}

void RtmpSession::close_after_flush(core::EndReason reason, const std::string& why) {
  if (phase_ == Phase::closed || phase_ == Phase::closing) return;
  log()->info("{} closing connection from {}: {}", tag(), remote_, why);
  end_publish(reason);
  phase_ = Phase::closing;
  closing_reason_ = reason;
  if (!writing_ && out_.empty()) return close(reason, why);
  // A client that stops reading must not keep us waiting.
  deadline_.expires_after(kClosingGrace);
  deadline_.async_wait([self = shared_from_this(), reason, why](error_code ec) {
    if (!ec) self->close(reason, why + " (reply not read in time)");
  });
}

void RtmpSession::arm_idle_timer() {
  auto idle = server_.config_.idle_timeout;
  deadline_.expires_at(last_input_ + idle);
  deadline_.async_wait([self = shared_from_this(), idle](error_code ec) {
    if (ec || self->phase_ == Phase::closed || self->phase_ == Phase::closing) return;
    if (std::chrono::steady_clock::now() - self->last_input_ >= idle && self->unread_bytes() > 0) {
      // Bytes came, but fewer than the receive mark asks for (a message
      // trickling in): read them rather than drop a publisher that still sends.
      self->last_input_ = std::chrono::steady_clock::now();
      if (auto mark = self->batching_.wake_after(1)) self->set_receive_mark(*mark);
    }
    if (std::chrono::steady_clock::now() - self->last_input_ >= idle)
      return self->close(
          core::EndReason::publisher_timeout,
          "nothing received for " +
              std::to_string(std::chrono::duration_cast<std::chrono::seconds>(idle).count()) +
              " s");
    self->arm_idle_timer();
  });
}

void RtmpSession::log_stats() {
  stats_timer_.expires_after(server_.config_.stats_interval);
  stats_timer_.async_wait([self = shared_from_this()](error_code ec) {
    if (ec || self->phase_ != Phase::publishing) return;
    log()->info("{} ingest: {}", self->tag(), self->counters_.interval_summary());
    self->report_figures(true);
    self->log_stats();
  });
}

void RtmpSession::report_figures(bool connected) {
  if (server_.figures_) server_.figures_->update(counters_.figures(stream_id_, remote_, connected));
}

}  // namespace looplive::ingest
