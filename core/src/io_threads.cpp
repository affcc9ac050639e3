#include "looplive/core/io_threads.hpp"

#include <boost/asio/strand.hpp>

#include <algorithm>

namespace looplive::core {

IoThreads::IoThreads(unsigned count) {
  count = std::max(1u, count);
  for (unsigned i = 0; i < count; ++i) {
    // Concurrency hint 1: each context is run by exactly one thread.
    contexts_.push_back(std::make_unique<Context>(1));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
}

IoThreads::~IoThreads() {
  stop();
  join();
  // Handlers still queued hold objects of other contexts (an accept on the
  // main context holds a socket of another, a connection holds its
  // listener): every context drops its handlers before any is destroyed.
  guards_.clear();
  for (auto& context : contexts_) context->shut_down();
  contexts_.clear();
}

boost::asio::io_context& IoThreads::next() {
  return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
}

void IoThreads::start() {
  for (auto& context : contexts_) threads_.emplace_back([&io = *context] { io.run(); });
}

void IoThreads::stop() {
  for (auto& context : contexts_) context->stop();
}

void IoThreads::join() {
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

boost::asio::any_io_executor IoContexts::next_connection() const {
  if (threads_) return threads_->next().get_executor();
  return boost::asio::make_strand(*single_);
}

}  // namespace looplive::core
