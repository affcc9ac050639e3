// Low-latency DASH: a segment the live MPD lists while it is being written is
// sent as it grows, chunk by chunk, against a real origin.
#include <catch2/catch.hpp>

#include "origin_harness.hpp"

using namespace looplive::origin;
using namespace looplive::origin::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kGrowing = "v_1000_t4000.m4s";

// A live source whose one growing segment a test writes chunk by chunk.
class GrowingSource : public MapSource {
 public:
  void grow(const std::string& chunk) {
    std::lock_guard lock(mutex_);
    if (!chunks_) chunks_.emplace();
    chunks_->push_back(bytes_of(chunk));
  }
  // The segment is whole: from now on it is an ordinary file. It is never
  // neither, as the packager's views are replaced whole.
  void finish(const std::string& last_chunk) {
    std::string whole;
    {
      std::lock_guard lock(mutex_);
      for (const auto& chunk : *chunks_)
        whole.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
    }
    put(kStreamId, kGrowing, whole + last_chunk, "\"whole\"");
    std::lock_guard lock(mutex_);
    chunks_.reset();
  }
  // The stream went another way: the segment will never be.
  void abandon() {
    std::lock_guard lock(mutex_);
    chunks_.reset();
  }
  std::optional<GrowingFile> growing(const std::string& id,
                                     const std::string& file) const override {
    if (auto whole = find(id, file)) return GrowingFile{{whole->bytes}, true};
    std::lock_guard lock(mutex_);
    if (id != kStreamId || file != kGrowing || !chunks_) return std::nullopt;
    return GrowingFile{*chunks_, false};
  }

 private:
  mutable std::mutex mutex_;
  std::optional<std::vector<looplive::core::SharedBytes>> chunks_;
};

struct GrowingOrigin {
  GrowingOrigin() : origin(config(), source) {}
  OriginConfig config() {
    OriginConfig c = test_config(root);
    c.target_duration = 200ms;  // a chunk is waited for at most 600 ms
    return c;
  }
  void changed() { origin.service().live_changed(kStreamId); }
  bool wait_held(size_t count) { return origin.wait_held(count); }

  MediaRoot root;
  GrowingSource source;
  RunningOrigin origin;
};

std::string get(const std::string& target) {
  return "GET " + target + " HTTP/1.1\r\nHost: origin.test\r\n\r\n";
}

}  // namespace

TEST_CASE("a growing segment is sent chunk by chunk as it is written", "[origin][lldash]") {
  GrowingOrigin ll;
  const std::string first = pattern(3000, 1), second = pattern(4000, 2), last = pattern(500, 3);
  ll.source.grow(first);
  Client client(ll.origin.port());
  client.send_raw(get(live(kGrowing)));
  const Reply head = client.read_reply(true);
  CHECK(head.status == 200);
  CHECK(head["transfer-encoding"] == "chunked");
  CHECK_FALSE(head.has("content-length"));
  CHECK(head["content-type"] == "video/mp4");
  CHECK(head["cache-control"] == "public, max-age=31536000, immutable");
  CHECK(client.read_chunk() == first);
  // The next chunk does not exist yet: the request waits for it.
  REQUIRE(ll.wait_held(1));
  ll.source.grow(second);
  ll.changed();
  CHECK(client.read_chunk() == second);
  REQUIRE(ll.wait_held(1));
  ll.source.finish(last);
  ll.changed();
  CHECK(client.read_chunk() == last);
  CHECK(client.read_chunk() == std::nullopt);  // the body ends with the segment
  CHECK(ll.wait_held(0));

  // Once whole it is an ordinary file, on the same connection.
  const Reply whole = client.request("GET", live(kGrowing));
  CHECK(whole.status == 200);
  CHECK(whole["content-length"] == std::to_string(first.size() + second.size() + last.size()));
  CHECK(whole.body == first + second + last);
  // A segment that neither exists nor grows is a 404, at once.
  CHECK(client.request("GET", live("v_1000_t6000.m4s")).status == 404);
}

TEST_CASE("a growing segment that is abandoned or stalls is never sent as if complete",
          "[origin][lldash]") {
  GrowingOrigin ll;
  ll.source.grow(pattern(1000));
  {
    Client client(ll.origin.port());
    client.send_raw(get(live(kGrowing)));
    CHECK(client.read_reply(true).status == 200);
    CHECK(client.read_chunk().has_value());
    REQUIRE(ll.wait_held(1));
    // No next chunk within three target durations: the connection closes
    // without the last chunk, so the player knows the body is incomplete.
    const auto asked = std::chrono::steady_clock::now();
    CHECK(client.closed_by_server());
    CHECK(std::chrono::steady_clock::now() - asked >= 500ms);
  }
  {
    Client client(ll.origin.port());
    client.send_raw(get(live(kGrowing)));
    CHECK(client.read_reply(true).status == 200);
    CHECK(client.read_chunk().has_value());
    REQUIRE(ll.wait_held(1));
    ll.source.abandon();
    ll.changed();
    CHECK(client.closed_by_server());
    CHECK(ll.wait_held(0));
  }
}
