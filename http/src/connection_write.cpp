#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "connection.hpp"
#include "date_cache.hpp"
#include "listener.hpp"
#include "looplive/http/util.hpp"
#include "socket_io.hpp"

namespace looplive::http::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

constexpr size_t kSendfileChunk = 1 << 20;
// A fast reader could otherwise keep one thread in sendfile for a whole large file.
constexpr size_t kSendfileTurn = 8 << 20;
// Files up to this size (playlists, manifests, init segments) are read and
// sent with their headers in one write: two system calls fewer than corking
// the socket around a sendfile.
constexpr uint64_t kSmallFile = 16 << 10;

Response plain(bhttp::status status) {
  return Response(status, std::string(bhttp::obsolete_reason(status)) + "\n",
                  "text/plain; charset=utf-8");
}

bool asks_to_close(std::string_view connection_field) {
  for (auto token : bhttp::token_list(connection_field))
    if (beast::iequals(token, "close")) return true;
  return false;
}

using ChunkResponder = DeliverOnce<Chunk, &Connection::deliver_chunk, &Connection::chunk_dropped>;

}  // namespace

void Connection::deliver_chunk(std::shared_ptr<Connection> connection, Chunk chunk) {
  auto executor = connection->socket_.get_executor();
  // post, never inline: the producer may answer from inside next_chunk().
  net::post(executor, [self = std::move(connection), chunk = std::move(chunk)]() mutable {
    self->on_chunk(std::move(chunk));
  });
}

void Connection::chunk_dropped(std::shared_ptr<Connection> connection) {
  deliver_chunk(std::move(connection), {{}, false, true});
}

void Connection::on_response(Response response) {
  if (phase_ != Phase::handling) return;  // closed while the handler ran
  send(std::move(response), keep_alive_ && !listener_->stopping());
}

void Connection::reject(bhttp::status status) {
  if (parser_ && parser_->is_header_done()) {
    log_method_ = std::string(parser_->get().method_string());
    log_path_ = std::string(split_path_and_query(parser_->get().target()).path);
  } else {
    log_method_ = "-";
    log_path_ = "-";
  }
  parser_.reset();
  request_read_at_ = Clock::now();
  version_ = 11;
  head_request_ = false;
  send(plain(status), false);
}

void Connection::send(Response response, bool keep_alive) {
  phase_ = Phase::writing;
  keep_alive_ = keep_alive;
  bytes_written_ = 0;
  response_ = std::move(response);
  if (const auto* file = std::get_if<FileBody>(&response_.body)) {
    if (auto failure = open_file(*file)) {
      response_ = std::move(*failure);
    } else if (file_remaining_ <= kSmallFile && !head_request_) {
      if (auto failure = read_small_file()) response_ = std::move(*failure);
    }
  }
  status_ = static_cast<unsigned>(response_.status);

  bool bodiless = status_ < 200 || status_ == 204 || status_ == 304;
  if (std::holds_alternative<StreamBody>(response_.body)) return send_stream(bodiless);
  uint64_t length = 0;
  std::span<const uint8_t> memory;
  if (const auto* text = std::get_if<std::string>(&response_.body)) {
    length = text->size();
    memory = {reinterpret_cast<const uint8_t*>(text->data()), text->size()};
  } else if (const auto* bytes = std::get_if<core::SharedBytes>(&response_.body)) {
    length = bytes->size();
    memory = bytes->span();
    // Held in an in-memory file, a large body goes out like a file: the socket
    // takes its pages by reference instead of a copy of them.
    if (bytes->fd() >= 0 && length > kSmallFile) {
      shared_fd_ = bytes->fd();
      file_offset_ = bytes->file_offset();
      file_remaining_ = length;
    }
  } else {
    length = file_remaining_;
  }
  bool with_body = !bodiless && !head_request_ && length > 0;
  format_head(length, !bodiless);
  const bool from_file = file_ || shared_fd_ >= 0;
  memory_body_ = with_body && !from_file ? memory : std::span<const uint8_t>{};
  head_sent_ = 0;
  body_sent_ = 0;
  if (!with_body || !from_file) {
    file_.reset();
    shared_fd_ = -1;
    return write_some(&Connection::finish_response);
  }
  corked_ = true;
  set_cork(socket_.native_handle(), true);
  write_some(&Connection::send_file);
}

std::optional<Response> Connection::open_file(const FileBody& body) {
  UniqueFd file(::open(body.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file) {
    int error = errno;
    if (error == ENOENT || error == ENOTDIR) return plain(bhttp::status::not_found);
    listener_->log().warn("conn={} cannot open {}: {}", id_, body.path, std::strerror(error));
    return plain(bhttp::status::internal_server_error);
  }
  struct stat info {};
  if (::fstat(file.get(), &info) != 0 || !S_ISREG(info.st_mode))
    return plain(bhttp::status::not_found);
  uint64_t size = uint64_t(info.st_size);
  uint64_t length = body.length.value_or(body.offset <= size ? size - body.offset : 0);
  if (body.offset > size || length > size - body.offset) {
    // The handler measured the file before it shrank, or asked for too much.
    listener_->log().warn("conn={} {}: bytes {}+{} are not within its {} bytes", id_, body.path,
                          body.offset, length, size);
    return plain(bhttp::status::internal_server_error);
  }
  file_ = std::move(file);
  file_offset_ = body.offset;
  file_remaining_ = length;
  return std::nullopt;
}

// The opened file's bytes become the body, and the file is closed.
std::optional<Response> Connection::read_small_file() {
  std::string bytes(size_t(file_remaining_), '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n =
        ::pread(file_.get(), bytes.data() + done, bytes.size() - done, off_t(file_offset_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      listener_->log().warn("conn={} cannot read a file: {}", id_,
                            n == 0 ? "it ended early" : std::strerror(errno));
      file_.reset();
      file_remaining_ = 0;
      return plain(bhttp::status::internal_server_error);
    }
    done += size_t(n);
  }
  file_.reset();
  file_remaining_ = 0;
  response_.body = std::move(bytes);
  return std::nullopt;
}

// The status line and headers, written by hand: Beast's serializer costs more
// than the rest of answering a small request from memory. The handler's
// fields go out as they are, except the ones the server owns.
void Connection::format_head(uint64_t content_length, bool with_length, bool chunked) {
  auto& fields = response_.headers;
  keep_alive_ = keep_alive_ && !asks_to_close(fields[bhttp::field::connection]);
  head_.clear();
  head_ += version_ == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  char number[24];
  auto end = std::to_chars(number, number + sizeof number, status_).ptr;
  head_.append(number, end);
  head_ += ' ';
  head_ += std::string_view(bhttp::obsolete_reason(response_.status));
  head_ += "\r\n";
  for (const auto& field : fields) {
    switch (field.name()) {
      case bhttp::field::transfer_encoding:
      case bhttp::field::date:
      case bhttp::field::server:
      case bhttp::field::connection:
        continue;
      case bhttp::field::content_length:
        if (with_length) continue;  // ours; a 304 keeps the handler's
        break;
      default:
        break;
    }
    head_ += std::string_view(field.name_string());
    head_ += ": ";
    head_ += std::string_view(field.value());
    head_ += "\r\n";
  }
  if (with_length) {
    head_ += "Content-Length: ";
    end = std::to_chars(number, number + sizeof number, content_length).ptr;
    head_.append(number, end);
    head_ += "\r\n";
  }
  if (chunked) head_ += "Transfer-Encoding: chunked\r\n";
  head_ += "Date: ";
  head_ += current_http_date();
  head_ += "\r\nServer: looplive\r\n";
  if (version_ == 10 && keep_alive_) head_ += "Connection: keep-alive\r\n";
  if (version_ != 10 && !keep_alive_) head_ += "Connection: close\r\n";
  head_ += "\r\n";
}

// Calls `resume(*this)` once the socket takes bytes again.
template <typename Resume>
void Connection::wait_writable(Resume resume) {
  set_deadline(listener_->limits().write_timeout);
  socket_.async_wait(Socket::wait_write, [self = shared_from_this(), resume](error_code ec) {
    if (self->phase_ != Phase::writing) return;
    if (ec) return self->close("client_gone");
    resume(*self);
  });
}

// Head and memory body in one gathered write. Tried at once: most responses
// fit the socket's buffer, and the next read then starts now, not after its
// completion has waited its turn behind every other ready handler of the
// event loop, which made the latency tail with thousands of connections.
void Connection::write_some(void (Connection::*then)()) {
  set_deadline(listener_->limits().write_timeout);
  while (head_sent_ < head_.size() || body_sent_ < memory_body_.size() ||
         tail_sent_ < tail_.size()) {
    std::array<iovec, 3> parts{
        iovec{head_.data() + head_sent_, head_.size() - head_sent_},
        iovec{const_cast<uint8_t*>(memory_body_.data()) + body_sent_,
              memory_body_.size() - body_sent_},
        iovec{const_cast<char*>(tail_.data()) + tail_sent_, tail_.size() - tail_sent_}};
    msghdr message{};
    message.msg_iov = parts.data();
    message.msg_iovlen = parts.size();
    const ssize_t sent = ::sendmsg(socket_.native_handle(), &message, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0) {
      const int error = errno;
      if (error == EINTR) continue;
      if (error == EAGAIN || error == EWOULDBLOCK) {
        return wait_writable([then](Connection& self) { self.write_some(then); });
      }
      return close("client_gone");
    }
    size_t bytes = size_t(sent);
    bytes_written_ += bytes;
    const size_t to_head = std::min(bytes, head_.size() - head_sent_);
    head_sent_ += to_head;
    bytes -= to_head;
    const size_t to_body = std::min(bytes, memory_body_.size() - body_sent_);
    body_sent_ += to_body;
    tail_sent_ += bytes - to_body;
  }
  (this->*then)();
}

void Connection::send_file() {
  size_t this_turn = 0;
  while (file_remaining_ > 0) {
    size_t chunk = size_t(std::min<uint64_t>(file_remaining_, kSendfileChunk));
    const int from = file_ ? file_.get() : shared_fd_;
    ssize_t sent = send_file_chunk(socket_.native_handle(), from, file_offset_, chunk);
    if (sent > 0) {
      file_remaining_ -= uint64_t(sent);
      bytes_written_ += uint64_t(sent);
      this_turn += size_t(sent);
      if (this_turn >= kSendfileTurn && file_remaining_ > 0) {
        set_deadline(listener_->limits().write_timeout);
        net::post(socket_.get_executor(), [self = shared_from_this()] {
          if (self->phase_ == Phase::writing) self->send_file();
        });
        return;
      }
      continue;
    }
    if (sent == 0) {
      listener_->log().warn("conn={} file ended {} bytes early", id_, file_remaining_);
      return close("file_truncated");
    }
    int error = errno;
    if (error == EINTR) continue;
    if (error == EAGAIN || error == EWOULDBLOCK) {
      return wait_writable([](Connection& self) { self.send_file(); });
    }
    if (error == EPIPE || error == ECONNRESET) return close("client_gone");
    listener_->log().warn("conn={} sendfile failed: {}", id_, std::strerror(error));
    return close("sendfile_failed");
  }
  finish_response();
}

void Connection::send_stream(bool bodiless) {
  stream_next_ = std::move(std::get<StreamBody>(response_.body).next);
  stream_chunked_ = version_ != 10;
  const bool with_body = !bodiless && !head_request_ && stream_next_;
  // An HTTP/1.0 client learns where the body ends from the connection closing.
  if (with_body && !stream_chunked_) keep_alive_ = false;
  format_head(0, false, !bodiless && stream_chunked_);
  memory_body_ = {};
  head_sent_ = 0;
  body_sent_ = 0;
  if (!with_body) return write_some(&Connection::finish_response);
  write_some(&Connection::next_chunk);
}

void Connection::next_chunk() {
  // The producer answers within its own bounds; this deadline only catches
  // one that never does.
  set_deadline(listener_->limits().write_timeout);
  auto responder = std::make_shared<ChunkResponder>(shared_from_this());
  stream_next_([responder](Chunk chunk) { responder->deliver(std::move(chunk)); });
}

void Connection::on_chunk(Chunk chunk) {
  if (phase_ != Phase::writing || !stream_next_ || stream_ended_) return;
  if (chunk.broken) return close("stream_broken");
  stream_chunk_ = std::move(chunk.bytes);
  stream_last_ = chunk.last;
  head_.clear();
  if (stream_chunked_ && !stream_chunk_.empty()) {
    char size[20];
    const auto end = std::to_chars(size, size + sizeof size, stream_chunk_.size(), 16).ptr;
    head_.append(size, end);
    head_ += "\r\n";
    tail_ = "\r\n";
  }
  memory_body_ = stream_chunk_.span();
  head_sent_ = 0;
  body_sent_ = 0;
  tail_sent_ = 0;
  write_some(&Connection::after_chunk);
}

void Connection::after_chunk() {
  memory_body_ = {};
  tail_ = {};
  tail_sent_ = 0;
  stream_chunk_ = {};
  if (!stream_last_) return next_chunk();
  if (!stream_chunked_ || stream_ended_) return finish_response();
  stream_ended_ = true;
  head_ = "0\r\n\r\n";
  head_sent_ = 0;
  body_sent_ = 0;
  write_some(&Connection::finish_response);
}

void Connection::finish_response() {
  record({});
  reset_response();
  if (!keep_alive_) return linger_close();
  wait_for_next_request();
}

void Connection::record(std::string_view error) {
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - request_read_at_).count();
  listener_->counters().on_response(status_, ms, bytes_written_);
  if (error.empty())
    listener_->log().info("method={} path={} status={} bytes={} ms={:.2f} peer={} conn={}",
                          log_method_, log_path_, status_, bytes_written_, ms, peer_, id_);
  else
    listener_->log().info("method={} path={} status={} bytes={} ms={:.2f} peer={} conn={} error={}",
                          log_method_, log_path_, status_, bytes_written_, ms, peer_, id_, error);
}

void Connection::reset_response() {
  if (corked_) {
    set_cork(socket_.native_handle(), false);
    corked_ = false;
  }
  memory_body_ = {};
  response_ = Response();
  stream_next_ = nullptr;
  stream_chunk_ = {};
  tail_ = {};
  tail_sent_ = 0;
  stream_last_ = false;
  stream_ended_ = false;
  file_.reset();
  shared_fd_ = -1;
  file_remaining_ = 0;
}

}  // namespace looplive::http::detail
