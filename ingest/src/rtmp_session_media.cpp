#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "metadata_hints.hpp"
#include "rtmp_session.hpp"
#include "rtmp_session_common.hpp"

// The publishing half of RtmpSession: media and data messages, and the
// receive batching that paces a publisher's socket.
namespace looplive::ingest {

namespace net = boost::asio;
using boost::system::error_code;
using namespace session;

// ---- Receive batching ----

void RtmpSession::stop_batching() {
  if (auto mark = batching_.stop()) set_receive_mark(*mark);
}

void RtmpSession::set_receive_mark(int bytes) {
  if (!socket_.is_open()) return;
  if (::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVLOWAT, &bytes, sizeof bytes) != 0)
    log()->debug("{} SO_RCVLOWAT {}: {}", tag(), bytes, std::strerror(errno));
}

int RtmpSession::unread_bytes() {
  int waiting = 0;
  if (!socket_.is_open() || ::ioctl(socket_.native_handle(), FIONREAD, &waiting) != 0) return 0;
  return waiting;
}

void RtmpSession::acknowledge_now() {
  if (!socket_.is_open()) return;
  // The kernel clears quick-ack mode by itself, so it is asked again each time.
  const int on = 1;
  if (::setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on) != 0)
    log()->debug("{} TCP_QUICKACK: {}", tag(), std::strerror(errno));
}

// ---- Data and media ----

void RtmpSession::handle_data(const RtmpMessage& message, size_t amf_offset) {
  if (message.payload.size() < amf_offset) return;
  auto values = amf0::decode_all(message.payload.span().subspan(amf_offset));
  if (!values) {
    log()->warn("{} ignoring malformed data message: {}", tag(), values.error().message);
    return;
  }
  size_t first = 0;
  if (!values->empty() && (*values)[0].type() == amf0::Type::string &&
      (*values)[0].as_string() == "@setDataFrame")
    first = 1;
  const amf0::Value* name = arg(*values, first);
  const amf0::Value* body = arg(*values, first + 1);
  if (!name || name->type() != amf0::Type::string || name->as_string() != "onMetaData" || !body)
    return;
  if (auto hints = metadata_hints(*body)) tag_reader_.hints(*hints);
  const amf0::Value* encoder = body->get("encoder");
  // The API lists the encoder's name as JSON: it must be valid UTF-8.
  const std::string encoder_name = encoder && encoder->type() == amf0::Type::string
                                       ? loggable(encoder->as_string())
                                       : std::string();
  if (!encoder_name.empty()) counters_.on_encoder(encoder_name);
  log()->info("{} metadata from encoder '{}'", tag(),
              encoder_name.empty() ? "unknown" : encoder_name);
}

void RtmpSession::handle_media(const RtmpMessage& message) {
  if (phase_ != Phase::publishing || !sink_) return;
  bool video = message.type_id == msg::kVideo;
  TimestampUnwrapper& clock = video ? video_clock_ : audio_clock_;
  bool started = clock.started();
  int64_t previous = clock.current();
  int64_t timestamp = clock.unwrap(message.timestamp);
  if (started && timestamp < previous) counters_.on_backward_timestamp();

  auto out = video ? tag_reader_.video(timestamp, message.payload)
                   : tag_reader_.audio(timestamp, message.payload);
  if (!out) {
    // One broken tag must not end a seller's show: drop it, count it, say so.
    counters_.on_ignored_tag();
    log()->warn("{} dropped a malformed {} tag: {}", tag(), video ? "video" : "audio",
                out.error().message);
    return;
  }
  if (out->track) {
    const core::TrackInfo& track = *out->track;
    if (video)
      log()->info("{} video track: {} ({}) {}x{}", tag(), core::codec_name(track.codec),
                  track.codec_string, track.width, track.height);
    else
      log()->info("{} audio track: {} ({}) {} Hz {} ch", tag(), core::codec_name(track.codec),
                  track.codec_string, track.sample_rate, track.channels);
    counters_.on_track(track);
    sink_->on_track(track);
  }
  if (out->packet) {
    counters_.on_packet(*out->packet);
    sink_->on_packet(*out->packet);
  }
  if (!out->ignored.empty()) {
    counters_.on_ignored_tag();
    if (out->ignored != last_ignored_) log()->info("{} ignoring tags: {}", tag(), out->ignored);
    last_ignored_ = out->ignored;
  }
}

void RtmpSession::handle_aggregate(const RtmpMessage& message) {
  // An aggregate holds FLV tags back to back; their timestamps are shifted so
  // that the first one lands on the aggregate message's own timestamp.
  const core::SharedBytes& payload = message.payload;
  size_t pos = 0;
  std::optional<uint32_t> first_timestamp;
  while (pos + 11 <= payload.size()) {
    const uint8_t* h = payload.data() + pos;
    uint8_t type = h[0] & 0x1f;
    uint32_t size = read_be24(h + 1);
    uint32_t timestamp = read_be24(h + 4) | (uint32_t(h[7]) << 24);
    if (pos + 11 + size > payload.size()) {
      log()->warn("{} dropped a truncated aggregate message", tag());
      return;
    }
    if (!first_timestamp) first_timestamp = timestamp;
    if (type == msg::kAudio || type == msg::kVideo) {
      RtmpMessage inner{message.chunk_stream_id, type,
                        message.timestamp + (timestamp - *first_timestamp), message.stream_id,
                        payload.slice(pos + 11, size)};
      handle_media(inner);
    }
    pos += 11 + size + 4;  // tag header, body, previous tag size
  }
}

}  // namespace looplive::ingest
