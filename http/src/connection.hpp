#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "looplive/http/request.hpp"
#include "looplive/http/response.hpp"
#include "unique_fd.hpp"

namespace looplive::http::detail {

class Listener;

// One client connection. Everything but deliver() and close_from_outside()
// runs on the connection's executor (one thread, or a strand), so no member
// needs a lock. Requests are read, handled and answered one at a time.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Socket = boost::asio::ip::tcp::socket;

  Connection(std::shared_ptr<Listener> listener, Socket socket, uint64_t id, std::string peer);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start();   // once admitted
  void refuse();  // instead of start(), when a limit turned it away
  void close_from_outside();
  // Whether a whole request head has arrived (from any thread): a connection
  // that never sent one is the first to go when its address is at its limit.
  bool sent_head() const { return sent_head_.load(std::memory_order_relaxed); }
  // The handler's answer, from any thread. Taking the reference by value lets
  // the posted work own it, so the last release happens on the connection's
  // thread and not on whichever thread the handler used.
  static void deliver(std::shared_ptr<Connection> connection, Response response);
  // Every Respond copy died uncalled.
  static void handler_dropped(std::shared_ptr<Connection> connection);
  // The next piece of a StreamBody, from any thread.
  static void deliver_chunk(std::shared_ptr<Connection> connection, Chunk chunk);
  // Every ChunkSink copy died uncalled: the body breaks.
  static void chunk_dropped(std::shared_ptr<Connection> connection);

 private:
  enum class Phase { reading_head, reading_body, idle, handling, writing, lingering, closed };
  using Clock = std::chrono::steady_clock;
  using error_code = boost::system::error_code;

  // connection.cpp: reading requests, timeouts, closing
  void read_head();
  void on_head(error_code ec);
  void read_body();
  void on_read_error(error_code ec);
  void dispatch();
  void wait_for_next_request();
  void set_deadline(Clock::duration timeout);
  void arm_timer();
  void clear_deadline();
  void on_deadline();
  void linger_close();
  void drain();
  // A response still being written is logged and counted with `unfinished` as its error.
  void close(std::string_view unfinished = "shutdown");

  // connection_write.cpp: writing responses
  void on_response(Response response);
  void reject(boost::beast::http::status status);
  void send(Response response, bool keep_alive);
  std::optional<Response> open_file(const FileBody& body);
  std::optional<Response> read_small_file();
  void format_head(uint64_t content_length, bool with_length, bool chunked = false);
  void write_some(void (Connection::*then)());
  void send_file();
  // A StreamBody: the head, then each chunk once the producer hands it over.
  void send_stream(bool bodiless);
  void next_chunk();
  void on_chunk(Chunk chunk);
  void after_chunk();
  template <typename Resume>
  void wait_writable(Resume resume);
  void finish_response();
  void record(std::string_view error);
  void reset_response();

  const std::shared_ptr<Listener> listener_;
  std::atomic<bool> sent_head_{false};
  Socket socket_;
  const uint64_t id_;
  const std::string peer_;
  Phase phase_ = Phase::reading_head;
  boost::asio::steady_timer deadline_;
  uint64_t deadline_generation_ = 0;  // a wait whose generation is stale has been superseded
  Clock::time_point deadline_at_ = Clock::time_point::max();  // max: none
  Clock::time_point timer_expiry_;
  bool timer_armed_ = false;

  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  Request request_;
  size_t drained_ = 0;

  // The exchange under way
  bool keep_alive_ = false;
  bool head_request_ = false;
  unsigned version_ = 11;
  unsigned status_ = 0;
  std::string log_method_;
  std::string log_path_;
  Clock::time_point request_read_at_;
  uint64_t bytes_written_ = 0;
  Response response_;  // owns the memory the serializers point into
  // What is being written: the status line and headers (or a chunk's size
  // line), then, unless the body goes by sendfile, the body from memory. A cancelled write still
  // touches them as it completes, so they change only between responses.
  std::string head_;  // reused: its capacity outlives each response
  std::span<const uint8_t> memory_body_;
  std::string_view tail_;  // after the body: the CRLF closing a chunk's data
  size_t head_sent_ = 0;
  size_t body_sent_ = 0;
  size_t tail_sent_ = 0;
  UniqueFd file_;
  int shared_fd_ = -1;  // or the in-memory file of response_'s body, which keeps it open
  uint64_t file_offset_ = 0;
  uint64_t file_remaining_ = 0;
  bool corked_ = false;
  // A StreamBody being sent
  std::function<void(ChunkSink)> stream_next_;
  core::SharedBytes stream_chunk_;  // being written
  bool stream_chunked_ = false;     // chunked transfer coding (not to an HTTP/1.0 client)
  bool stream_last_ = false;        // the producer has given its last piece
  bool stream_ended_ = false;       // the final chunk is written or being written
};

// Hands a message (a handler's Response, a StreamBody's Chunk) back to its
// connection, from any thread, once: the first deliver() counts, and if none
// happens, the destruction of the last copy calls Dropped instead. Shared by
// every copy of one Respond or one ChunkSink.
template <typename Message, void (*Deliver)(std::shared_ptr<Connection>, Message),
          void (*Dropped)(std::shared_ptr<Connection>)>
class DeliverOnce {
 public:
  explicit DeliverOnce(std::shared_ptr<Connection> connection)
      : connection_(std::move(connection)) {}
  ~DeliverOnce() {
    if (!done_.exchange(true)) Dropped(std::move(connection_));
  }
  DeliverOnce(const DeliverOnce&) = delete;
  DeliverOnce& operator=(const DeliverOnce&) = delete;

  void deliver(Message message) {
    if (done_.exchange(true)) return;
    Deliver(std::move(connection_), std::move(message));
  }

 private:
  std::shared_ptr<Connection> connection_;
  std::atomic<bool> done_{false};
};

}  // namespace looplive::http::detail
