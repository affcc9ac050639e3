#pragma once

// One librtmp publishing connection, shared by rtmp_publish and rtmp_loadgen.
//
//   init_librtmp(verbose);                  // once, before any thread starts
//   RtmpPublisher publisher(url);
//   switch (publisher.open(std::chrono::seconds(5))) { ... }
//   publisher.wait_until(due);              // services the socket while pacing
//   publisher.write(tag, timestamp_ms);     // false once the connection is gone
//   publisher.finish();                    // graceful end of stream
//
// Why not plain RTMP_ConnectStream: librtmp (2.4, Debian's 20151223 snapshot)
// loops until it sees NetStream.Publish.Start or a _result for publish, and
// only closes on a handful of play-side failure codes. A refusal such as
// NetStream.Publish.BadName leaves it blocked until the socket timeout, and the
// code and description are only visible in its debug log. open() runs the same
// read loop (RTMP_ReadPacket + RTMP_ClientPacket, which still drives
// releaseStream/FCPublish/createStream/publish), but with a deadline and with
// every command message decoded here first, so the verdict and the server's own
// words are available to the caller.

#include <librtmp/amf.h>
#include <librtmp/log.h>
#include <librtmp/rtmp.h>

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "flv_pacing.hpp"

namespace looplive::tools {

using Clock = std::chrono::steady_clock;

// A command from the server that reports a state change: onStatus, _error or close.
struct ServerStatus {
  std::string method;
  std::string code;
  std::string level;
  std::string description;
  bool fatal = false;  // refuses the connection or the stream

  std::string text() const {
    if (code.empty()) {
      return method == "close" ? "server requested close" : method;
    }
    return description.empty() ? code : code + ": " + description;
  }
};

enum class OpenResult {
  kPublishing,      // NetStream.Publish.Start received
  kInvalidUrl,      // librtmp could not parse the URL, or it has no stream key
  kRejected,        // the server answered with an error, closed, or never said yes
  kTransportError,  // TCP connect, RTMP handshake or the connect command failed
};

namespace rtmp_detail {

inline std::atomic<bool> verbose{false};
inline thread_local std::string last_log_error;
inline thread_local std::string log_prefix;
// gethostbyname, which RTMP_Connect uses for names, is not reentrant.
inline std::mutex resolver_mutex;

inline void log_callback(int level, const char* format, va_list args) {
  char line[2048];
  const int length = std::vsnprintf(line, sizeof line, format, args);
  // Some librtmp messages carry their own trailing newline.
  for (size_t end = std::min(sizeof line - 1, static_cast<size_t>(std::max(length, 0)));
       end > 0 && line[end - 1] == '\n'; --end) {
    line[end - 1] = '\0';
  }
  if (level <= RTMP_LOGERROR) {
    last_log_error = line;
  }
  if (verbose.load(std::memory_order_relaxed)) {
    std::fprintf(stderr, "%slibrtmp: %s\n", log_prefix.c_str(), line);
  }
}

inline std::string to_string(const AVal& value) {
  return value.av_val != nullptr ? std::string(value.av_val, static_cast<size_t>(value.av_len))
                                 : std::string();
}

// AVal is a non-owning view whose pointer is not const-qualified; librtmp only reads through it.
inline AVal make_aval(std::string_view text) {
  return AVal{const_cast<char*>(text.data()), static_cast<int>(text.size())};
}

inline bool equals(const AVal& value, std::string_view text) {
  return value.av_len == static_cast<int>(text.size()) &&
         (text.empty() || std::string_view(value.av_val, text.size()) == text);
}

inline bool is_failure_code(std::string_view code) {
  for (std::string_view marker : {".Failed", ".Rejected", ".BadName", ".Denied", ".InvalidApp"}) {
    if (code.find(marker) != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace rtmp_detail

// Process-wide librtmp setup. Call once from main before starting threads.
inline void init_librtmp(bool verbose) {
  rtmp_detail::verbose = verbose;
  RTMP_LogSetCallback(rtmp_detail::log_callback);
  RTMP_LogSetLevel(verbose ? RTMP_LOGDEBUG : RTMP_LOGERROR);
  // The first RTMP_Init creates librtmp's global TLS context without locking.
  RTMP* probe = RTMP_Alloc();
  if (probe != nullptr) {
    RTMP_Init(probe);
    RTMP_Free(probe);
  }
  // librtmp sends without MSG_NOSIGNAL; a vanished server must show up as a
  // failed write, not terminate the process.
  std::signal(SIGPIPE, SIG_IGN);
}

class RtmpPublisher {
 public:
  // Bounds librtmp's blocking socket calls: a read waiting this long for the
  // rest of a message, or a send that cannot queue a single byte for this long,
  // fails and the connection counts as dropped. A server that keeps accepting a
  // trickle is not cut off; the load generator reports that as stalls instead.
  static constexpr int kSocketTimeoutSeconds = 10;

  explicit RtmpPublisher(std::string url) : url_(std::move(url)) {}
  ~RtmpPublisher() {
    if (rtmp_ != nullptr) {
      // Also when never connected: RTMP_SetupURL allocates, and only RTMP_Close frees.
      RTMP_Close(rtmp_);
      RTMP_Free(rtmp_);
    }
  }
  RtmpPublisher(const RtmpPublisher&) = delete;
  RtmpPublisher& operator=(const RtmpPublisher&) = delete;

  // Connects and publishes, waiting at most `timeout` for the server's verdict.
  OpenResult open(std::chrono::milliseconds timeout) {
    rtmp_detail::last_log_error.clear();
    rtmp_ = RTMP_Alloc();
    if (rtmp_ == nullptr) {
      error_ = "out of memory";
      return OpenResult::kTransportError;
    }
    RTMP_Init(rtmp_);
    // librtmp treats an unknown scheme as plain RTMP with only a warning.
    if (!has_rtmp_scheme(url_)) {
      error_ = "not an RTMP URL (expected rtmp://host:port/app/key)";
      return OpenResult::kInvalidUrl;
    }
    // librtmp keeps pointers into the URL string for the connection's lifetime.
    url_buffer_.assign(url_.begin(), url_.end());
    url_buffer_.push_back('\0');
    if (!RTMP_SetupURL(rtmp_, url_buffer_.data())) {
      error_ = "cannot parse RTMP URL";
      return OpenResult::kInvalidUrl;
    }
    if (rtmp_->Link.playpath.av_len == 0) {
      error_ = "URL has no stream key (expected rtmp://host:port/app/key)";
      return OpenResult::kInvalidUrl;
    }
    // SetupURL resets the protocol flags, so write mode has to come after it.
    RTMP_EnableWrite(rtmp_);
    rtmp_->Link.timeout = kSocketTimeoutSeconds;

    if (!connect()) {
      error_ = rtmp_detail::last_log_error.empty() ? "connect failed" : rtmp_detail::last_log_error;
      return OpenResult::kTransportError;
    }
    timeval send_timeout{kSocketTimeoutSeconds, 0};
    setsockopt(RTMP_Socket(rtmp_), SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);

    const Clock::time_point deadline = Clock::now() + timeout;
    while (!publishing_) {
      if (server_error_) {
        return OpenResult::kRejected;
      }
      if (!connected()) {
        error_ = "server closed the connection before NetStream.Publish.Start";
        return OpenResult::kRejected;
      }
      const Clock::time_point now = Clock::now();
      if (now >= deadline) {
        // Some servers answer publish with a _result only; librtmp marks that as playing.
        if (rtmp_->m_bPlaying) {
          publishing_ = true;
          break;
        }
        error_ =
            "no NetStream.Publish.Start within " +
            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()) +
            " ms";
        return OpenResult::kRejected;
      }
      if (has_input(milliseconds_until(deadline, now))) {
        read_chunk();
      }
    }
    return OpenResult::kPublishing;
  }

  bool connected() const { return rtmp_ != nullptr && RTMP_IsConnected(rtmp_); }

  // Announces chunks of `size` bytes (Set Chunk Size) and sends them from
  // here on, as OBS (4096) and ffmpeg do; librtmp keeps 128 otherwise.
  bool set_chunk_size(uint32_t size) {
    char buffer[RTMP_MAX_HEADER_SIZE + 4];
    RTMPPacket packet{};
    packet.m_nChannel = 0x02;  // protocol control
    packet.m_headerType = RTMP_PACKET_SIZE_LARGE;
    packet.m_packetType = RTMP_PACKET_TYPE_CHUNK_SIZE;
    packet.m_body = buffer + RTMP_MAX_HEADER_SIZE;
    packet.m_nBodySize = 4;
    AMF_EncodeInt32(packet.m_body, packet.m_body + 4, static_cast<int>(size));
    if (!connected() || RTMP_SendPacket(rtmp_, &packet, 0) == 0) {
      note_drop("Set Chunk Size not sent");
      return false;
    }
    rtmp_->m_outChunkSize = static_cast<int>(size);
    return true;
  }

  // Sends one tag with `timestamp_ms` in place of its own. False once the connection is gone.
  bool write(const FlvTag& tag, uint32_t timestamp_ms) {
    if (!connected()) {
      note_drop("connection already closed");
      return false;
    }
    media::encode_flv_tag(tag, timestamp_ms, buffer_);
    const int size = static_cast<int>(buffer_.size());
    const int written = RTMP_Write(rtmp_, buffer_.data(), size);
    if (written <= 0 || !connected()) {
      note_drop("send failed" + (rtmp_detail::last_log_error.empty()
                                     ? std::string()
                                     : " (" + rtmp_detail::last_log_error + ")"));
      return false;
    }
    return true;
  }

  // Handles incoming messages (pings, acks, status) until `deadline`. Returns
  // false as soon as the connection is gone, so pacing notices a close promptly.
  bool wait_until(Clock::time_point deadline) {
    // A server that floods us must not keep a late publisher from sending.
    constexpr int kMaxChunksAfterDeadline = 64;
    int late_chunks = 0;
    while (connected()) {
      const Clock::time_point now = Clock::now();
      if (now >= deadline && late_chunks >= kMaxChunksAfterDeadline) {
        return true;
      }
      if (!has_input(now >= deadline ? 0 : milliseconds_until(deadline, now))) {
        if (Clock::now() >= deadline) {
          return true;
        }
        continue;
      }
      if (now >= deadline) {
        ++late_chunks;
      }
      read_chunk();
    }
    note_drop("connection closed by server");
    return false;
  }

  // Processes whatever has already arrived, without waiting.
  bool poll() { return wait_until(Clock::now()); }

  // Ends the publish and closes the connection so that nothing sent is lost.
  // Closing a socket that still has unread input makes the kernel answer with
  // RST, and a peer receiving RST may drop data it had not read yet; a fast
  // publisher is then cut short by whatever was still in flight. So: send
  // FCUnpublish and deleteStream, half-close, and read until the server closes
  // its side (or `linger` passes). Returns false when the connection was
  // already gone or was reset while closing.
  bool finish(std::chrono::milliseconds linger = std::chrono::seconds(3)) {
    if (!connected()) {
      note_drop("connection closed by server");
      return false;
    }
    const bool sent = send_unpublish();
    const int fd = RTMP_Socket(rtmp_);
    bool clean = sent && ::shutdown(fd, SHUT_WR) == 0;
    const Clock::time_point deadline = Clock::now() + linger;
    char scratch[4096];
    while (clean) {
      const Clock::time_point now = Clock::now();
      if (now >= deadline) {
        break;
      }
      pollfd entry{fd, POLLIN, 0};
      if (::poll(&entry, 1, milliseconds_until(deadline, now)) <= 0) {
        continue;
      }
      const ssize_t received = ::recv(fd, scratch, sizeof scratch, 0);
      if (received == 0) {
        break;
      }
      if (received < 0 && errno != EINTR && errno != EAGAIN) {
        note_drop(std::string("connection reset while closing: ") + std::strerror(errno));
        clean = false;
      }
    }
    if (!sent) {
      note_drop("could not send FCUnpublish/deleteStream");
    }
    if (connected()) {
      RTMP_Close(rtmp_);
    }
    return clean;
  }

  // Abrupt close, for paths where the verdict is already known.
  void close() {
    if (connected()) {
      RTMP_Close(rtmp_);
    }
  }

  // Why open() failed or why the connection was lost.
  const std::string& error() const { return error_; }
  // The last refusing status the server sent, if any.
  const std::optional<ServerStatus>& server_error() const { return server_error_; }
  const std::string& url() const { return url_; }

 private:
  static bool has_rtmp_scheme(std::string_view url) {
    const size_t separator = url.find("://");
    if (separator == std::string_view::npos || separator < 4) {
      return false;
    }
    for (size_t i = 0; i < separator; ++i) {
      const char c = static_cast<char>(url[i] | 0x20);
      if (c < 'a' || c > 'z' || (i < 4 && c != "rtmp"[i])) {
        return false;
      }
    }
    return true;
  }

  bool connect() {
    const std::string host = rtmp_detail::to_string(rtmp_->Link.hostname);
    in_addr numeric{};
    if (inet_pton(AF_INET, host.c_str(), &numeric) == 1) {
      return RTMP_Connect(rtmp_, nullptr) != 0;
    }
    std::lock_guard lock(rtmp_detail::resolver_mutex);
    return RTMP_Connect(rtmp_, nullptr) != 0;
  }

  // The same two commands RTMP_Close sends, but without closing the socket right after.
  bool send_unpublish() {
    const int stream_id = rtmp_->m_stream_id;
    if (stream_id <= 0) {
      return true;
    }
    bool ok = send_invoke("FCUnpublish", [this](char* enc, char* end) {
      *enc++ = AMF_NULL;
      return AMF_EncodeString(enc, end, &rtmp_->Link.playpath);
    });
    ok = ok && send_invoke("deleteStream", [stream_id](char* enc, char* end) {
           *enc++ = AMF_NULL;
           return AMF_EncodeNumber(enc, end, stream_id);
         });
    // RTMP_Close only repeats these while it still sees a stream id.
    rtmp_->m_stream_id = 0;
    return ok;
  }

  template <typename EncodeArguments>
  bool send_invoke(std::string_view name, EncodeArguments encode_arguments) {
    char buffer[512];
    char* const end = buffer + sizeof buffer;
    RTMPPacket packet{};
    packet.m_nChannel = 0x03;  // librtmp's command channel
    packet.m_headerType = RTMP_PACKET_SIZE_MEDIUM;
    packet.m_packetType = RTMP_PACKET_TYPE_INVOKE;
    // RTMP_SendPacket writes the chunk header in front of the body.
    packet.m_body = buffer + RTMP_MAX_HEADER_SIZE;
    const AVal method = rtmp_detail::make_aval(name);
    char* enc = AMF_EncodeString(packet.m_body, end, &method);
    enc = enc != nullptr ? AMF_EncodeNumber(enc, end, ++rtmp_->m_numInvokes) : nullptr;
    enc = enc != nullptr ? encode_arguments(enc, end) : nullptr;
    if (enc == nullptr) {
      return false;
    }
    packet.m_nBodySize = static_cast<uint32_t>(enc - packet.m_body);
    return RTMP_SendPacket(rtmp_, &packet, 0) != 0;
  }

  static int milliseconds_until(Clock::time_point deadline, Clock::time_point now) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    return static_cast<int>(std::min<long long>(left, 1000));
  }

  bool has_input(int timeout_ms) {
    // librtmp may already hold bytes that the kernel no longer reports.
    if (rtmp_->m_sb.sb_size > 0) {
      return true;
    }
    pollfd entry{RTMP_Socket(rtmp_), POLLIN, 0};
    return ::poll(&entry, 1, timeout_ms) > 0;
  }

  // Reads one chunk; complete messages are inspected, then handed to librtmp.
  void read_chunk() {
    RTMPPacket packet{};
    if (!RTMP_ReadPacket(rtmp_, &packet)) {
      // A body allocated for a message's first chunk is ours; a continuation's
      // body belongs to librtmp's channel table, which RTMP_Close frees.
      if (packet.m_nBytesRead == 0) {
        RTMPPacket_Free(&packet);
      }
      if (connected()) {
        // A message stalled mid-chunk past the socket timeout.
        note_drop("timed out reading from server");
        RTMP_Close(rtmp_);
      } else {
        note_drop("connection closed by server");
      }
      return;
    }
    if (!RTMPPacket_IsReady(&packet)) {
      return;
    }
    if (packet.m_nBodySize > 0) {
      inspect(packet);
      const bool media = packet.m_packetType == RTMP_PACKET_TYPE_AUDIO ||
                         packet.m_packetType == RTMP_PACKET_TYPE_VIDEO ||
                         packet.m_packetType == RTMP_PACKET_TYPE_INFO;
      // A refusal ends here: librtmp's CRYPTO build would otherwise try Adobe auth and reconnect.
      if (!media && !(server_error_ && server_error_->fatal && !publishing_)) {
        RTMP_ClientPacket(rtmp_, &packet);
      }
    }
    RTMPPacket_Free(&packet);
  }

  void inspect(const RTMPPacket& packet) {
    const char* body = packet.m_body;
    int size = static_cast<int>(packet.m_nBodySize);
    if (packet.m_packetType == RTMP_PACKET_TYPE_FLEX_MESSAGE) {
      ++body;  // AMF3 marker byte; the payload itself is AMF0
      --size;
    } else if (packet.m_packetType != RTMP_PACKET_TYPE_INVOKE) {
      return;
    }
    if (size <= 0 || body[0] != AMF_STRING) {
      return;
    }
    AMFObject command;
    if (AMF_Decode(&command, body, size, 0) < 0) {
      return;
    }
    std::optional<ServerStatus> status = to_status(command);
    AMF_Reset(&command);
    if (!status) {
      return;
    }
    if (rtmp_detail::verbose.load(std::memory_order_relaxed)) {
      std::fprintf(stderr, "%sserver %s: %s (level %s)\n", rtmp_detail::log_prefix.c_str(),
                   status->method.c_str(), status->text().c_str(),
                   status->level.empty() ? "-" : status->level.c_str());
    }
    if (status->method == "onStatus" && status->code == "NetStream.Publish.Start") {
      publishing_ = true;
    }
    if (status->fatal) {
      server_error_ = std::move(*status);
    }
  }

  std::optional<ServerStatus> to_status(AMFObject& command) const {
    AVal method{};
    AMFProp_GetString(AMF_GetProp(&command, nullptr, 0), &method);
    const bool on_status = rtmp_detail::equals(method, "onStatus");
    const bool error = rtmp_detail::equals(method, "_error");
    const bool close = rtmp_detail::equals(method, "close");
    if (!on_status && !error && !close) {
      return std::nullopt;
    }
    ServerStatus status;
    status.method = rtmp_detail::to_string(method);
    AMFObject info{};
    AMFProp_GetObject(AMF_GetProp(&command, nullptr, 3), &info);
    const AVal code_name = rtmp_detail::make_aval("code");
    const AVal level_name = rtmp_detail::make_aval("level");
    const AVal description_name = rtmp_detail::make_aval("description");
    AVal value{};
    AMFProp_GetString(AMF_GetProp(&info, &code_name, -1), &value);
    status.code = rtmp_detail::to_string(value);
    AMFProp_GetString(AMF_GetProp(&info, &level_name, -1), &value);
    status.level = rtmp_detail::to_string(value);
    AMFProp_GetString(AMF_GetProp(&info, &description_name, -1), &value);
    status.description = rtmp_detail::to_string(value);

    if (close) {
      status.fatal = true;
    } else if (error) {
      // Only errors answering connect, createStream or publish refuse us;
      // librtmp queues exactly those calls while it waits for their results.
      const int transaction =
          static_cast<int>(AMFProp_GetNumber(AMF_GetProp(&command, nullptr, 1)));
      for (int i = 0; i < rtmp_->m_numCalls; ++i) {
        if (rtmp_->m_methodCalls[i].num == transaction) {
          status.fatal = true;
          break;
        }
      }
    } else {
      status.fatal = status.level == "error" || rtmp_detail::is_failure_code(status.code);
    }
    return status;
  }

  void note_drop(const std::string& reason) {
    if (error_.empty()) {
      error_ = reason;
    }
  }

  std::string url_;
  std::vector<char> url_buffer_;
  RTMP* rtmp_ = nullptr;
  bool publishing_ = false;
  std::optional<ServerStatus> server_error_;
  std::string error_;
  std::vector<char> buffer_;
};

}  // namespace looplive::tools
