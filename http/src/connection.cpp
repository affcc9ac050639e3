#include "connection.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

#include <atomic>

#include "listener.hpp"
#include "looplive/http/util.hpp"

namespace looplive::http::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

// After the last response: how long, and how much, to read and discard before
// closing, so that unread request bytes do not turn our close into a reset
// that destroys the response in flight.
constexpr auto kLingerTimeout = std::chrono::milliseconds(1000);
constexpr size_t kMaxDrain = 64 * 1024;
constexpr size_t kDrainChunk = 4096;

// What an idle connection reads when its next request starts; a request head
// usually fits, and the parser reads on when it does not.
constexpr size_t kFirstRead = 4096;

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

using Responder = DeliverOnce<Response, &Connection::deliver, &Connection::handler_dropped>;

}  // namespace

Connection::Connection(std::shared_ptr<Listener> listener, Socket socket, uint64_t id,
                       std::string peer)
    : listener_(std::move(listener)),
      socket_(std::move(socket)),
      id_(id),
      peer_(std::move(peer)),
      deadline_(socket_.get_executor()) {}

Connection::~Connection() {
  // Reached without close() only when the io_context is torn down with work pending.
  if (phase_ != Phase::closed) listener_->forget(id_, peer_);
}

void Connection::start() {
  net::post(socket_.get_executor(), [self = shared_from_this()] {
    if (self->phase_ == Phase::closed) return;  // stop() got here first
    error_code ignored;
    self->socket_.set_option(net::ip::tcp::no_delay(true), ignored);
    // sendfile(2) writes to the descriptor directly and must never block the thread.
    self->socket_.native_non_blocking(true, ignored);
    self->set_deadline(self->listener_->limits().header_timeout);
    self->read_head();
  });
}

void Connection::refuse() {
  phase_ = Phase::closed;
  error_code ignored;
  socket_.close(ignored);
}

void Connection::close_from_outside() {
  net::post(socket_.get_executor(), [self = shared_from_this()] { self->close(); });
}

void Connection::deliver(std::shared_ptr<Connection> connection, Response response) {
  auto executor = connection->socket_.get_executor();
  // dispatch: a handler that answers at once, on the connection's own thread,
  // is answered without a trip through the queue.
  net::dispatch(executor, [self = std::move(connection), response = std::move(response)]() mutable {
    self->on_response(std::move(response));
  });
}

void Connection::handler_dropped(std::shared_ptr<Connection> connection) {
  connection->listener_->log().error("conn={} {} {}: the handler never responded", connection->id_,
                                     connection->log_method_, connection->log_path_);
  deliver(std::move(connection), Response(bhttp::status::internal_server_error,
                                          "Internal Server Error\n", "text/plain; charset=utf-8"));
}

// ---- Reading ----

void Connection::read_head() {
  phase_ = Phase::reading_head;
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(listener_->limits().max_header_bytes));
  parser_->body_limit(listener_->limits().max_body_bytes);
  bhttp::async_read_header(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](error_code ec, size_t) { self->on_head(ec); });
}

void Connection::on_head(error_code ec) {
  if (phase_ != Phase::reading_head) return;
  if (ec) return on_read_error(ec);
  sent_head_.store(true, std::memory_order_relaxed);
  if (parser_->is_done()) return dispatch();
  phase_ = Phase::reading_body;
  set_deadline(listener_->limits().idle_timeout);
  const auto& head = parser_->get();
  if (head.version() >= 11 && beast::iequals(head[bhttp::field::expect], "100-continue")) {
    net::async_write(socket_, net::buffer(kContinue.data(), kContinue.size()),
                     [self = shared_from_this()](error_code ec, size_t) {
                       if (self->phase_ != Phase::reading_body) return;
                       if (ec) return self->close();
                       self->read_body();
                     });
    return;
  }
  read_body();
}

void Connection::read_body() {
  bhttp::async_read(socket_, buffer_, *parser_, [self = shared_from_this()](error_code ec, size_t) {
    if (self->phase_ != Phase::reading_body) return;
    if (ec) return self->on_read_error(ec);
    self->dispatch();
  });
}

void Connection::on_read_error(error_code ec) {
  // The head and body limits are what a connection may hold of a request: one
  // over them is answered, cut and counted.
  const bool head_over = ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow;
  if (head_over || ec == bhttp::error::body_limit) {
    const auto& limits = listener_->limits();
    listener_->log().info("conn={} peer={} cut: request {} over its limit of {} bytes", id_, peer_,
                          head_over ? "head" : "body",
                          head_over ? limits.max_header_bytes : limits.max_body_bytes);
    listener_->counters().on_cut();
    return reject(head_over ? bhttp::status::request_header_fields_too_large
                            : bhttp::status::payload_too_large);
  }
  bool parse_error = ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
                     ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
  if (parse_error) return reject(bhttp::status::bad_request);
  // The client went away, before or in the middle of a request.
  close();
}

void Connection::dispatch() {
  phase_ = Phase::handling;
  clear_deadline();
  request_read_at_ = Clock::now();
  request_.message = parser_->release();
  parser_.reset();
  request_.peer = peer_;
  request_.connection_id = id_;
  request_.executor = socket_.get_executor();
  version_ = request_.message.version();
  head_request_ = request_.method() == bhttp::verb::head;
  keep_alive_ = request_.message.keep_alive();
  log_method_ = std::string(request_.message.method_string());
  log_path_ = std::string(request_.path());

  auto responder = std::make_shared<Responder>(shared_from_this());
  try {
    listener_->handler()(
        request_, [responder](Response response) { responder->deliver(std::move(response)); });
  } catch (const std::exception& e) {
    listener_->log().error("conn={} {} {}: handler threw: {}", id_, log_method_, log_path_,
                           e.what());
    responder->deliver(Response(bhttp::status::internal_server_error, "Internal Server Error\n",
                                "text/plain; charset=utf-8"));
  } catch (...) {
    listener_->log().error("conn={} {} {}: handler threw", id_, log_method_, log_path_);
    responder->deliver(Response(bhttp::status::internal_server_error, "Internal Server Error\n",
                                "text/plain; charset=utf-8"));
  }
}

void Connection::wait_for_next_request() {
  request_ = Request{};
  if (buffer_.size() > 0) {  // the client already sent (part of) its next request
    set_deadline(listener_->limits().header_timeout);
    return read_head();
  }
  phase_ = Phase::idle;
  set_deadline(listener_->limits().idle_timeout);
  // A read rather than a wait for readability: asio re-registers the socket
  // with epoll for every wait, one more system call per request.
  socket_.async_read_some(buffer_.prepare(kFirstRead),
                          [self = shared_from_this()](error_code ec, size_t bytes) {
                            if (self->phase_ != Phase::idle) return;
                            if (ec) return self->close();
                            self->buffer_.commit(bytes);
                            // The head clock starts with its first byte; idle time before it is not
                            // counted.
                            self->set_deadline(self->listener_->limits().header_timeout);
                            self->read_head();
                          });
}

// ---- Deadlines ----

// Requests on a keep-alive connection move the deadline several times each;
// the timer is re-armed only when the deadline comes earlier than it is set
// for. When it fires early it waits again for the deadline in force.
void Connection::set_deadline(Clock::duration timeout) {
  deadline_at_ = Clock::now() + timeout;
  if (timer_armed_ && timer_expiry_ <= deadline_at_) return;
  arm_timer();
}

void Connection::arm_timer() {
  timer_armed_ = true;
  timer_expiry_ = deadline_at_;
  const uint64_t generation = ++deadline_generation_;
  deadline_.expires_at(timer_expiry_);
  deadline_.async_wait([self = shared_from_this(), generation](error_code ec) {
    if (ec || generation != self->deadline_generation_) return;
    self->timer_armed_ = false;
    if (self->deadline_at_ == Clock::time_point::max()) return;  // cleared meanwhile
    if (Clock::now() < self->deadline_at_) return self->arm_timer();
    self->on_deadline();
  });
}

void Connection::clear_deadline() {
  deadline_at_ = Clock::time_point::max();
}

void Connection::on_deadline() {
  switch (phase_) {
    case Phase::idle:
    case Phase::reading_head:
    case Phase::reading_body:
      listener_->log().debug("conn={} peer={} closed: {}", id_, peer_,
                             phase_ == Phase::idle ? "idle" : "request not received in time");
      listener_->counters().on_timeout();
      return close();
    case Phase::writing:
      listener_->counters().on_timeout();
      return close("timeout");
    case Phase::lingering:
      return close();
    case Phase::handling:
    case Phase::closed:
      return;
  }
}

// ---- Closing ----

void Connection::linger_close() {
  phase_ = Phase::lingering;
  error_code ignored;
  socket_.shutdown(Socket::shutdown_send, ignored);
  set_deadline(kLingerTimeout);
  drain();
}

void Connection::drain() {
  socket_.async_read_some(buffer_.prepare(kDrainChunk),
                          [self = shared_from_this()](error_code ec, size_t bytes) {
                            if (self->phase_ != Phase::lingering) return;
                            self->drained_ += bytes;
                            if (ec || self->drained_ > kMaxDrain) return self->close();
                            self->drain();
                          });
}

void Connection::close(std::string_view unfinished) {
  if (phase_ == Phase::closed) return;
  if (phase_ == Phase::writing) record(unfinished);
  phase_ = Phase::closed;
  clear_deadline();
  ++deadline_generation_;
  deadline_.cancel();  // lets go of this connection now rather than at expiry
  // Before the socket closes, so whoever sees the close also sees the count drop.
  listener_->forget(id_, peer_);
  error_code ignored;
  socket_.shutdown(Socket::shutdown_both, ignored);
  socket_.close(ignored);
  file_.reset();
  // The head and body stay until destruction: a cancelled write still touches them as it completes.
}

}  // namespace looplive::http::detail
