#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace looplive::core {

// One io_context per thread, the way nginx runs one event loop per worker: a
// connection lives on one of them for its whole life, so reading a packet,
// packaging it and answering a viewer never wake another thread, and an
// io_context run by one thread takes no scheduler locks worth the name.
class IoThreads {
 public:
  explicit IoThreads(unsigned count);
  ~IoThreads();  // stops and joins
  IoThreads(const IoThreads&) = delete;
  IoThreads& operator=(const IoThreads&) = delete;

  // Listeners, timers and the control plane run here; connections too.
  boost::asio::io_context& main() { return *contexts_.front(); }
  // Where the next connection goes: each context in turn.
  boost::asio::io_context& next();
  size_t size() const { return contexts_.size(); }

  void start();  // one thread per context; they run until stop()
  void stop();   // every context stops; handlers not yet run are dropped
  void join();

 private:
  using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  struct Context : boost::asio::io_context {
    using io_context::io_context;
    void shut_down() { shutdown(); }  // destroys queued handlers; the context stays usable
  };
  std::vector<std::unique_ptr<Context>> contexts_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
  std::atomic<size_t> next_{0};
};

// The io_contexts a server runs on: its listener on the main one, each
// accepted connection on the next. Made from a plain io_context (tests,
// tools), everything runs on that one.
class IoContexts {
 public:
  IoContexts(boost::asio::io_context& io) : single_(&io) {}  // NOLINT: implicit on purpose
  IoContexts(IoThreads& threads) : threads_(&threads) {}     // NOLINT: implicit on purpose

  boost::asio::io_context& main() const { return threads_ ? threads_->main() : *single_; }
  boost::asio::io_context& next() const { return threads_ ? threads_->next() : *single_; }
  // The executor for the next accepted connection. A context of IoThreads has
  // one thread, so its handlers never overlap and a strand would only add a
  // lock and a queue to every completion; a plain io_context may be run by
  // several threads, so there each connection gets a strand.
  boost::asio::any_io_executor next_connection() const;

 private:
  boost::asio::io_context* single_ = nullptr;
  IoThreads* threads_ = nullptr;
};

}  // namespace looplive::core
