// LL-HLS requests that wait on a live stream: blocking playlist reloads
// (_HLS_msn, _HLS_part) and preload-hinted parts, against a real origin.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "held_per_thread.hpp"
#include "origin_harness.hpp"

using namespace looplive::origin;
using namespace looplive::origin::test;
using namespace std::chrono_literals;

namespace {

// A live source whose playlist edge and announced parts a test moves by hand.
class LowLatencySource : public MapSource {
 public:
  void move_to(uint64_t next_msn, uint32_t next_part) {
    std::lock_guard lock(mutex_);
    edge_ = PlaylistEdge{next_msn, next_part};
  }
  void announce(const std::string& file) {
    std::lock_guard lock(mutex_);
    announced_.insert(file);
  }
  void complete(const std::string& file, const std::string& content) {
    put(kStreamId, file, content, "\"" + file + "\"");
    std::lock_guard lock(mutex_);
    announced_.erase(file);
  }
  std::optional<PlaylistEdge> playlist_edge(const std::string& id,
                                            const std::string& playlist) const override {
    std::lock_guard lock(mutex_);
    if (id != kStreamId || playlist != "video.m3u8") return std::nullopt;
    return edge_;
  }
  bool announces(const std::string& id, const std::string& file) const override {
    std::lock_guard lock(mutex_);
    return id == kStreamId && announced_.contains(file);
  }

 private:
  mutable std::mutex mutex_;
  std::optional<PlaylistEdge> edge_;
  std::set<std::string> announced_;
};

struct LowLatencyOrigin {
  LowLatencyOrigin() : origin(config(), source) {
    source.put(kStreamId, "video.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:1\nv_4_p0\n", "\"v1\"");
    source.move_to(4, 1);  // segments up to 3 complete, part 0 of segment 4 listed
  }
  OriginConfig config() {
    OriginConfig c = test_config(root);
    c.target_duration = 200ms;  // held for at most 600 ms
    return c;
  }
  // The source changed: what the packager tells the origin.
  void change(uint64_t next_msn, uint32_t next_part, const std::string& playlist) {
    source.put(kStreamId, "video.m3u8", playlist, "\"v" + std::to_string(++version) + "\"");
    source.move_to(next_msn, next_part);
    origin.service().live_changed(kStreamId);
  }
  bool wait_held(size_t count) { return origin.wait_held(count); }

  MediaRoot root;
  LowLatencySource source;
  RunningOrigin origin;
  int version = 1;
};

std::string get(const std::string& target) {
  return "GET " + target + " HTTP/1.1\r\nHost: origin.test\r\n\r\n";
}

}  // namespace

TEST_CASE("a blocking reload is answered the moment the part it asks for is listed",
          "[origin][llhls]") {
  LowLatencyOrigin ll;
  Client client(ll.origin.port());
  client.send_raw(get(live("video.m3u8?_HLS_msn=4&_HLS_part=1")));
  REQUIRE(ll.wait_held(1));
  const auto changed = std::chrono::steady_clock::now();
  ll.change(4, 2, "#EXTM3U\n#EXT-X-TARGETDURATION:1\nv_4_p0\nv_4_p1\n");
  const Reply reply = client.read_reply(false);
  const auto answered = std::chrono::steady_clock::now();
  CHECK(reply.status == 200);
  CHECK(reply.body.find("v_4_p1") != std::string::npos);
  // Any later answer to the same URL lists the part too: a CDN may keep it.
  CHECK(reply["cache-control"] == "public, max-age=1");
  CHECK(answered - changed < 100ms);
  CHECK(ll.wait_held(0));  // counted down once the answer is on its way
}

TEST_CASE("a blocking reload already satisfied is answered at once", "[origin][llhls]") {
  LowLatencyOrigin ll;
  for (const char* query : {"_HLS_msn=4&_HLS_part=0", "_HLS_msn=3", "_HLS_msn=2&_HLS_part=9"}) {
    const Reply reply = fetch(ll.origin.port(), live(std::string("video.m3u8?") + query));
    INFO(query);
    CHECK(reply.status == 200);
    CHECK(reply.body.find("v_4_p0") != std::string::npos);
  }
  CHECK(ll.wait_held(0));  // counted down once the answer is on its way
}

TEST_CASE("a segment asked for without a part waits for the whole segment", "[origin][llhls]") {
  LowLatencyOrigin ll;
  Client client(ll.origin.port());
  client.send_raw(get(live("video.m3u8?_HLS_msn=4")));
  REQUIRE(ll.wait_held(1));
  ll.change(4, 5, "#EXTM3U\n#EXT-X-TARGETDURATION:1\nmore parts\n");  // still open
  CHECK(ll.wait_held(1));
  ll.change(5, 0, "#EXTM3U\n#EXT-X-TARGETDURATION:1\nv_4.m4s\n");
  const Reply reply = client.read_reply(false);
  CHECK(reply.status == 200);
  CHECK(reply.body.find("v_4.m4s") != std::string::npos);
}

TEST_CASE("blocking reloads too far ahead or malformed are refused", "[origin][llhls]") {
  LowLatencyOrigin ll;
  // RFC 8216bis: more than two segments past the last complete one (3).
  CHECK(fetch(ll.origin.port(), live("video.m3u8?_HLS_msn=6")).status == 400);
  CHECK(fetch(ll.origin.port(), live("video.m3u8?_HLS_msn=5&_HLS_part=0")).status != 400);
  for (const char* query : {"_HLS_msn=x", "_HLS_msn=", "_HLS_part=1", "_HLS_msn=4&_HLS_part=-1",
                            "_HLS_msn=99999999999999999999999"}) {
    INFO(query);
    const Reply reply = fetch(ll.origin.port(), live(std::string("video.m3u8?") + query));
    CHECK(reply.status == 400);
    CHECK(reply["cache-control"] == "no-store");
  }
  // Not a low-latency playlist: the parameters change nothing.
  ll.source.put(kStreamId, "index.m3u8", "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nvideo.m3u8\n");
  CHECK(fetch(ll.origin.port(), live("index.m3u8?_HLS_msn=99")).status == 200);
}

TEST_CASE("a blocking reload the stream never reaches gets a 503 after three target durations",
          "[origin][llhls]") {
  LowLatencyOrigin ll;
  const auto asked = std::chrono::steady_clock::now();
  const Reply reply = fetch(ll.origin.port(), live("video.m3u8?_HLS_msn=5"));
  const auto waited = std::chrono::steady_clock::now() - asked;
  CHECK(reply.status == 503);
  CHECK(reply["cache-control"] == "no-store");
  CHECK(waited >= 600ms);
  CHECK(waited < 2s);
}

TEST_CASE("a preload-hinted part is sent once complete; an unannounced one is a 404 at once",
          "[origin][llhls]") {
  LowLatencyOrigin ll;
  ll.source.announce("v_4_p1.m4s");
  Client client(ll.origin.port());
  client.send_raw(get(live("v_4_p1.m4s")));
  REQUIRE(ll.wait_held(1));
  const std::string bytes = pattern(5000, 7);
  ll.source.complete("v_4_p1.m4s", bytes);
  ll.origin.service().live_changed(kStreamId);
  const Reply reply = client.read_reply(false);
  CHECK(reply.status == 200);
  CHECK(reply.body == bytes);
  CHECK(reply["cache-control"] == "public, max-age=31536000, immutable");

  const auto asked = std::chrono::steady_clock::now();
  CHECK(fetch(ll.origin.port(), live("v_9_p0.m4s")).status == 404);
  CHECK(std::chrono::steady_clock::now() - asked < 200ms);
}

TEST_CASE("hundreds of held reloads are all answered by one change", "[origin][llhls]") {
  LowLatencyOrigin ll;
  constexpr size_t kViewers = 200;  // under the per-address connection cap
  std::vector<std::unique_ptr<Client>> clients;
  for (size_t i = 0; i < kViewers; ++i) {
    clients.push_back(std::make_unique<Client>(ll.origin.port()));
    clients.back()->send_raw(get(live("video.m3u8?_HLS_msn=4&_HLS_part=1")));
  }
  REQUIRE(ll.wait_held(kViewers));
  const uint64_t lookups_before = ll.source.lookups();
  ll.change(4, 2, "#EXTM3U\n#EXT-X-TARGETDURATION:1\nv_4_p1\n");
  size_t answered = 0;
  for (auto& client : clients) answered += client->read_reply(false).status == 200 ? 1 : 0;
  CHECK(answered == kViewers);
  // One pass answers them all from one read of the playlist, not one each.
  CHECK(ll.source.lookups() - lookups_before <= 2);
}

TEST_CASE("held requests: retried on change, given up at their deadline or at stop",
          "[origin][llhls]") {
  const MapSource source;
  HeldRequests held(source);
  bool ready = false;
  int answered = 0;
  int given_up = 0;
  const auto now = HeldRequests::Clock::now();
  held.hold(
      "s", now + 1h,
      [&](const LiveSource&) {
        if (ready) ++answered;
        return ready;
      },
      [&] { ++given_up; });
  CHECK(held.size() == 1);
  held.changed("other");
  CHECK(answered == 0);
  ready = true;
  held.changed("s");
  CHECK(answered == 1);
  CHECK(held.size() == 0);

  ready = false;
  held.hold(
      "s", now + 10ms, [](const LiveSource&) { return false; }, [&] { ++given_up; });
  held.hold(
      "s", now + 1h, [](const LiveSource&) { return false; }, [&] { ++given_up; });
  held.expire(now + 20ms);
  CHECK(given_up == 1);
  CHECK(held.size() == 1);
  held.release_all();
  CHECK(given_up == 2);
  CHECK(held.size() == 0);
  // Once released, nothing more is held.
  held.hold(
      "s", now + 1h, [](const LiveSource&) { return false; }, [&] { ++given_up; });
  CHECK(given_up == 3);
  CHECK(held.size() == 0);
}

TEST_CASE("a change that comes while held requests are being tried is not missed",
          "[origin][llhls]") {
  const MapSource source;
  HeldRequests held(source);
  bool ready = false;
  int tries = 0;
  // The stream moves on (another thread's changed()) while the first try is
  // under way, too late for it: the pass must try again, not put the request back.
  held.hold(
      "s", HeldRequests::Clock::now() + 1h,
      [&](const LiveSource&) {
        ++tries;
        if (tries == 1) {
          ready = true;
          held.changed("s");
          return false;
        }
        return ready;
      },
      [] {});
  CHECK(tries == 2);
  CHECK(held.size() == 0);
}

TEST_CASE("holding a request tries it alone; a change tries them all once", "[origin][llhls]") {
  const MapSource source;
  HeldRequests held(source);
  constexpr int kRequests = 100;
  int tries = 0;
  for (int i = 0; i < kRequests; ++i)
    held.hold(
        "s", HeldRequests::Clock::now() + 1h,
        [&](const LiveSource&) {
          ++tries;
          return false;
        },
        [] {});
  // Thousands of viewers arrive within milliseconds: each arrival must not
  // retry everyone already waiting.
  CHECK(tries == kRequests);
  held.changed("s");
  CHECK(tries == 2 * kRequests);
  CHECK(held.size() == kRequests);
  held.release_all();
}

TEST_CASE("a change is tried on each I/O thread holding requests, by that thread",
          "[origin][llhls]") {
  const MapSource source;
  HeldPerThread held(source);
  boost::asio::io_context first_io, second_io;
  auto first_guard = boost::asio::make_work_guard(first_io);
  auto second_guard = boost::asio::make_work_guard(second_io);
  std::thread first([&] { first_io.run(); });
  std::thread second([&] { second_io.run(); });
  const auto first_id = first.get_id();
  const auto second_id = second.get_id();
  std::atomic<bool> ready{false};
  std::mutex mutex;
  std::vector<std::thread::id> answered_on;
  const auto hold_on = [&](boost::asio::io_context& io) {
    held.on(io.get_executor())
        .hold(
            "s", HeldRequests::Clock::now() + 1h,
            [&](const LiveSource&) {
              if (!ready) return false;
              std::lock_guard lock(mutex);
              answered_on.push_back(std::this_thread::get_id());
              return true;
            },
            [] {});
  };
  for (int i = 0; i < 3; ++i) {
    hold_on(first_io);
    hold_on(second_io);
  }
  CHECK(held.size() == 6);
  ready = true;
  held.changed("s");
  for (int i = 0; i < 500 && held.size() != 0; ++i) std::this_thread::sleep_for(2ms);
  first_guard.reset();
  second_guard.reset();
  first.join();
  second.join();
  REQUIRE(answered_on.size() == 6);
  // Each thread answered its own three: none was handed to the other.
  CHECK(std::count(answered_on.begin(), answered_on.end(), first_id) == 3);
  CHECK(std::count(answered_on.begin(), answered_on.end(), second_id) == 3);
}
