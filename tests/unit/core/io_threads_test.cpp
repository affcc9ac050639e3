#include "looplive/core/io_threads.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <set>
#include <thread>

using looplive::core::IoContexts;
using looplive::core::IoThreads;
namespace net = boost::asio;

namespace {

std::thread::id thread_of(net::io_context& io) {
  std::promise<std::thread::id> ran;
  net::post(io, [&ran] { ran.set_value(std::this_thread::get_id()); });
  auto future = ran.get_future();
  REQUIRE(future.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  return future.get();
}

}  // namespace

TEST_CASE("each io_context has a thread of its own, and connections take turns", "[io_threads]") {
  IoThreads threads(3);
  REQUIRE(threads.size() == 3);
  threads.start();
  std::set<net::io_context*> contexts;
  std::set<std::thread::id> ids;
  for (int i = 0; i < 6; ++i) {
    net::io_context& io = threads.next();
    contexts.insert(&io);
    ids.insert(thread_of(io));
    CHECK(thread_of(io) == thread_of(io));  // always the same thread for one context
  }
  CHECK(contexts.size() == 3);
  CHECK(ids.size() == 3);
  CHECK(ids.count(std::this_thread::get_id()) == 0);
  CHECK(contexts.count(&threads.main()) == 1);
  threads.stop();
  threads.join();
}

TEST_CASE("idle contexts keep running until stopped", "[io_threads]") {
  IoThreads threads(2);
  threads.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // nothing queued meanwhile
  thread_of(threads.next());
  thread_of(threads.next());
}

TEST_CASE("a plain io_context stands for one context", "[io_threads]") {
  net::io_context io;
  const IoContexts one(io);
  CHECK(&one.main() == &io);
  CHECK(&one.next() == &io);
  IoThreads threads(2);
  const IoContexts many(threads);
  CHECK(&many.main() == &threads.main());
  CHECK(&many.next() != &many.next());
}

TEST_CASE("connections get a strand only where a context may have several threads",
          "[io_threads]") {
  using Plain = boost::asio::io_context::executor_type;
  using Strand = boost::asio::strand<Plain>;
  IoThreads threads(2);
  const IoContexts pool(threads);
  auto first = pool.next_connection();
  auto second = pool.next_connection();
  REQUIRE(first.target<Plain>() != nullptr);
  REQUIRE(second.target<Plain>() != nullptr);
  CHECK(&first.target<Plain>()->context() != &second.target<Plain>()->context());

  boost::asio::io_context shared;
  const IoContexts single(shared);
  auto connection = single.next_connection();
  REQUIRE(connection.target<Strand>() != nullptr);
  CHECK(&connection.target<Strand>()->context() == &shared);
}
