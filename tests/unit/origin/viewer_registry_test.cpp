#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "viewer_registry.hpp"

using namespace looplive::origin;
using namespace std::chrono_literals;

namespace {

const std::string kStream = "ab546c68-9163-421e-95a3-69e091d505ee";
const auto kStart = std::chrono::steady_clock::time_point(1000h);

auto at(std::chrono::milliseconds offset) {
  return kStart + offset;
}

}  // namespace

TEST_CASE("current, peak, unique and watch time of simulated sessions", "[origin][viewers]") {
  ViewerRegistry registry(2000ms, 3600s);  // current for 4 s after the last request
  registry.touch(kStream, {1, 1}, at(0ms));
  auto one = registry.figures(kStream, at(0ms));
  CHECK(one.current == 1);
  CHECK(one.peak == 1);
  CHECK(one.unique == 1);
  REQUIRE(one.average_watch_seconds);
  CHECK(*one.average_watch_seconds == Approx(2.0));  // one request: one segment's worth

  registry.touch(kStream, {2, 2}, at(0ms));
  registry.touch(kStream, {1, 1}, at(1000ms));
  auto two = registry.figures(kStream, at(4000ms));
  CHECK(two.current == 2);  // session 2's last request is exactly two target durations old
  CHECK(two.peak == 2);
  CHECK(registry.figures(kStream, at(4001ms)).current == 1);
  CHECK(registry.figures(kStream, at(5001ms)).current == 0);

  registry.touch(kStream, {1, 1}, at(6000ms));  // back after a pause
  registry.touch(kStream, {3, 3}, at(6000ms));
  auto later = registry.figures(kStream, at(6000ms));
  CHECK(later.current == 2);
  CHECK(later.peak == 2);
  CHECK(later.unique == 3);
  // (6 + 2) + (0 + 2) + (0 + 2) seconds over three sessions.
  REQUIRE(later.average_watch_seconds);
  CHECK(*later.average_watch_seconds == Approx(4.0));

  registry.touch(kStream, {2, 2}, at(6500ms));
  auto three = registry.figures(kStream, at(6500ms));
  CHECK(three.current == 3);
  CHECK(three.peak == 3);
  CHECK(three.unique == 3);
  CHECK(*three.average_watch_seconds == Approx((8.0 + 8.5 + 2.0) / 3));
}

TEST_CASE("repeated requests at one instant are one session", "[origin][viewers]") {
  ViewerRegistry registry(1000ms, 3600s);
  for (int i = 0; i < 5; ++i) registry.touch(kStream, {7, 7}, at(0ms));
  CHECK(registry.figures(kStream, at(0ms)).current == 1);
  CHECK(registry.figures(kStream, at(2000ms)).current == 1);
  auto gone = registry.figures(kStream, at(2001ms));
  CHECK(gone.current == 0);
  CHECK(gone.peak == 1);
  CHECK(gone.unique == 1);
}

TEST_CASE("streams are counted apart, forgotten on demand and after the retention",
          "[origin][viewers]") {
  const std::string other = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";
  ViewerRegistry registry(2000ms, 60s);
  registry.touch(kStream, {1, 1}, at(0ms));
  registry.touch(other, {1, 1}, at(0ms));
  registry.touch(other, {2, 2}, at(30s));
  CHECK(registry.figures(kStream, at(30s)).unique == 1);
  CHECK(registry.figures(other, at(30s)).unique == 2);
  CHECK(registry.all_figures(at(30s)).size() == 2);

  registry.sweep(at(61s));  // kStream idle for 61 s, `other` for 31 s
  CHECK(registry.figures(kStream, at(61s)).unique == 0);
  CHECK_FALSE(registry.figures(kStream, at(61s)).average_watch_seconds);
  CHECK(registry.figures(other, at(61s)).unique == 2);

  registry.forget(other);
  CHECK(registry.figures(other, at(61s)).unique == 0);
  CHECK(registry.all_figures(at(61s)).empty());
}

TEST_CASE("viewer counting from many threads at once", "[origin][viewers]") {
  ViewerRegistry registry(2000ms, 3600s);
  std::vector<std::thread> threads;
  for (uint64_t t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (uint64_t i = 0; i < 2000; ++i)
        registry.touch(kStream, {t * 1000 + i % 1000, t * 1000 + i % 1000}, at(0ms));
    });
  for (auto& thread : threads) thread.join();
  auto figures = registry.figures(kStream, at(0ms));
  CHECK(figures.unique == 4000);
  CHECK(figures.current == 4000);
  CHECK(figures.peak == 4000);
}

TEST_CASE("a client that names a new session on every request claims at most 64 and is forgotten",
          "[origin][viewers]") {
  ViewerRegistry registry(2000ms, 3600s);
  constexpr uint64_t kAttacker = 99;
  // 100,000 requests over 10 s, each with a fresh ?session=, from one address.
  for (uint64_t i = 0; i < 100'000; ++i)
    registry.touch(kStream, {1'000'000 + i, kAttacker},
                   kStart + std::chrono::microseconds(100 * i));
  // Honest viewers at other addresses still count one each.
  for (uint64_t viewer = 1; viewer <= 10; ++viewer)
    registry.touch(kStream, {viewer, viewer}, at(10s));
  const auto figures = registry.figures(kStream, at(10s));
  // Its first 64 sessions went quiet; the rest of its requests are one session.
  CHECK(figures.current == 1 + 10);
  CHECK(figures.peak == 64 + 1);
  CHECK(figures.unique == 64 + 1 + 10);
  CHECK(registry.held_sessions(kStream) == 64 + 1 + 10);

  // A minute after their last request, sessions leave memory; the figures stay.
  const auto later = registry.figures(kStream, at(10s + 61s + 4s));
  CHECK(later.current == 0);
  CHECK(later.unique == 64 + 1 + 10);
  CHECK(registry.held_sessions(kStream) == 0);
  // Back after that, a viewer is a new session.
  registry.touch(kStream, {1, 1}, at(80s));
  CHECK(registry.figures(kStream, at(80s)).unique == 64 + 1 + 10 + 1);
}
