#include "serial_jobs.hpp"

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

using looplive::packager::DiskExecutor;
using looplive::packager::SerialJobs;

namespace {

// Keeps what it is given until run() is called, like a pool whose threads are all busy.
struct HeldExecutor {
  std::mutex mutex;
  std::vector<std::function<void()>> held;
  DiskExecutor executor() {
    return [this](std::function<void()> run) {
      std::lock_guard lock(mutex);
      held.push_back(std::move(run));
    };
  }
  void run() {
    std::vector<std::function<void()>> now;
    {
      std::lock_guard lock(mutex);
      now.swap(held);
    }
    for (auto& run : now) run();
  }
};

}  // namespace

TEST_CASE("without an executor a job runs inside push", "[serial_jobs]") {
  SerialJobs jobs({});
  int ran = 0;
  jobs.push([&] { ++ran; });
  CHECK(ran == 1);
  CHECK(jobs.pending() == 0);
}

TEST_CASE("jobs run on the executor, one at a time, in order", "[serial_jobs]") {
  boost::asio::thread_pool pool(4);
  std::vector<int> order;
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0};
  std::atomic<int> on_pool{0};
  const auto caller = std::this_thread::get_id();
  {
    SerialJobs jobs(
        [&pool](std::function<void()> run) { boost::asio::post(pool, std::move(run)); });
    for (int i = 0; i < 2000; ++i) {
      jobs.push([&, i] {
        if (inside.fetch_add(1) != 0) ++overlaps;
        if (std::this_thread::get_id() != caller) ++on_pool;
        order.push_back(i);  // unguarded on purpose: jobs of one queue never overlap
        inside.fetch_sub(1);
      });
    }
    // The pool takes jobs without anyone waiting for it.
    for (int i = 0; i < 5000 && jobs.pending() == 2000; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    CHECK(jobs.pending() < 2000);
    jobs.drain();
    CHECK(jobs.pending() == 0);
  }
  pool.join();
  REQUIRE(order.size() == 2000);
  for (int i = 0; i < 2000; ++i) REQUIRE(order[i] == i);
  CHECK(overlaps == 0);
  CHECK(on_pool > 0);
}

TEST_CASE("drain runs the queue itself when the executor's threads are busy", "[serial_jobs]") {
  HeldExecutor busy;
  SerialJobs jobs(busy.executor());
  std::vector<int> order;
  for (int i = 0; i < 5; ++i) jobs.push([&order, i] { order.push_back(i); });
  CHECK(order.empty());  // nothing ran on the pushing thread
  CHECK(jobs.pending() == 5);
  REQUIRE(busy.held.size() == 1);  // one run submitted for the whole queue
  jobs.drain();
  CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
  CHECK(jobs.pending() == 0);
  busy.run();  // the late run finds nothing to do
  CHECK(order.size() == 5);
  jobs.push([&order] { order.push_back(5); });  // a new run is submitted
  REQUIRE(busy.held.size() == 1);
  busy.run();
  CHECK(order.back() == 5);
}

TEST_CASE("destroying the queue runs what is left", "[serial_jobs]") {
  HeldExecutor busy;
  int ran = 0;
  {
    SerialJobs jobs(busy.executor());
    jobs.push([&ran] { ++ran; });
    jobs.push([&ran] { ++ran; });
    CHECK(ran == 0);
  }
  CHECK(ran == 2);
  busy.run();  // outlives the queue harmlessly
  CHECK(ran == 2);
}

TEST_CASE("a job that throws is logged and the queue goes on", "[serial_jobs]") {
  HeldExecutor busy;
  SerialJobs jobs(busy.executor());
  int ran = 0;
  jobs.push([] { throw std::runtime_error("disk on fire"); });
  jobs.push([&ran] { ++ran; });
  busy.run();
  CHECK(ran == 1);
  CHECK(jobs.pending() == 0);
}
