#include <catch2/catch.hpp>

#include "looplive/http/util.hpp"
#include "origin_harness.hpp"

using namespace looplive::origin;
using namespace looplive::origin::test;

namespace {

constexpr std::time_t kModified = 1'700'000'000;
const std::string kSegment = pattern(10000, 42);

struct Fixture {
  MediaRoot root;
  MapSource source;
  Fixture() {
    source.put(kStreamId, "v_5.m4s", kSegment, "\"seg-5\"", kModified);
    root.write("live/" + std::string(kOtherStreamId) + "/v_5.m4s", kSegment);
  }
};

// The same checks against a memory body and a file body.
std::vector<std::string> both_targets() {
  return {live("v_5.m4s"), live("v_5.m4s", kOtherStreamId)};
}

}  // namespace

TEST_CASE("If-None-Match: weak comparison, lists and *", "[origin][conditional]") {
  Fixture f;
  RunningOrigin origin(test_config(f.root), f.source);
  Client client(origin.port());
  for (const auto& target : both_targets()) {
    INFO(target);
    auto full = client.request("GET", target);
    REQUIRE(full.status == 200);
    std::string etag = full["etag"];

    auto same = client.request("GET", target, {"If-None-Match: " + etag});
    CHECK(same.status == 304);
    CHECK(same.body.empty());
    CHECK(same["etag"] == etag);
    CHECK(same["cache-control"] == "public, max-age=31536000, immutable");
    CHECK(same["access-control-allow-origin"] == "*");
    CHECK(client.request("GET", target, {"If-None-Match: W/" + etag}).status == 304);
    CHECK(client.request("GET", target, {"If-None-Match: \"x\", " + etag + " , \"y\""}).status ==
          304);
    CHECK(client.request("GET", target, {"If-None-Match: *"}).status == 304);
    CHECK(client.request("HEAD", target, {"If-None-Match: " + etag}).status == 304);
    auto other = client.request("GET", target, {"If-None-Match: \"x\", \"y\""});
    CHECK(other.status == 200);
    CHECK(other.body == kSegment);
    // If-None-Match decides alone: a matching date does not rescue a mismatching tag.
    CHECK(client
              .request("GET", target,
                       {"If-None-Match: \"nope\"",
                        "If-Modified-Since: " +
                            looplive::http::http_date(kModified + 3600 * 24 * 365 * 50)})
              .status == 200);
  }
}

TEST_CASE("If-Modified-Since when there is no If-None-Match", "[origin][conditional]") {
  Fixture f;
  RunningOrigin origin(test_config(f.root), f.source);
  Client client(origin.port());
  for (const auto& target : both_targets()) {
    INFO(target);
    auto full = client.request("GET", target);
    std::string modified = full["last-modified"];
    auto at = looplive::http::parse_http_date(modified);
    REQUIRE(at);
    CHECK(client.request("GET", target, {"If-Modified-Since: " + modified}).status == 304);
    CHECK(
        client.request("GET", target, {"If-Modified-Since: " + looplive::http::http_date(*at + 10)})
            .status == 304);
    auto older =
        client.request("GET", target, {"If-Modified-Since: " + looplive::http::http_date(*at - 1)});
    CHECK(older.status == 200);
    CHECK(older.body == kSegment);
    CHECK(client.request("GET", target, {"If-Modified-Since: yesterday"}).status == 200);
  }
  CHECK(fetch(origin.port(), live("v_5.m4s"))["last-modified"] ==
        looplive::http::http_date(kModified));
}

TEST_CASE("single byte ranges: start-end, start- and suffix", "[origin][range]") {
  Fixture f;
  RunningOrigin origin(test_config(f.root), f.source);
  Client client(origin.port());
  for (const auto& target : both_targets()) {
    INFO(target);
    auto part = client.request("GET", target, {"Range: bytes=100-199"});
    CHECK(part.status == 206);
    CHECK(part.body == kSegment.substr(100, 100));
    CHECK(part["content-range"] == "bytes 100-199/10000");
    CHECK(part["content-length"] == "100");
    CHECK(part["accept-ranges"] == "bytes");
    CHECK(part["content-type"] == "video/mp4");
    CHECK(part.has("etag"));

    auto tail = client.request("GET", target, {"Range: bytes=9990-"});
    CHECK(tail.status == 206);
    CHECK(tail.body == kSegment.substr(9990));
    CHECK(tail["content-range"] == "bytes 9990-9999/10000");

    auto suffix = client.request("GET", target, {"Range: bytes=-300"});
    CHECK(suffix.status == 206);
    CHECK(suffix.body == kSegment.substr(9700));
    CHECK(suffix["content-range"] == "bytes 9700-9999/10000");

    auto clamped = client.request("GET", target, {"Range: bytes=9000-20000"});
    CHECK(clamped.status == 206);
    CHECK(clamped["content-range"] == "bytes 9000-9999/10000");
    CHECK(clamped.body == kSegment.substr(9000));

    auto head = client.request("HEAD", target, {"Range: bytes=0-9"});
    CHECK(head.status == 206);
    CHECK(head["content-length"] == "10");
    CHECK(head.body.empty());
  }
}

TEST_CASE("unsatisfiable and multiple ranges", "[origin][range]") {
  Fixture f;
  RunningOrigin origin(test_config(f.root), f.source);
  Client client(origin.port());
  for (const auto& target : both_targets()) {
    INFO(target);
    for (auto range : {"bytes=10000-", "bytes=20000-30000", "bytes=-0"}) {
      auto refused = client.request("GET", target, {std::string("Range: ") + range});
      CHECK(refused.status == 416);
      CHECK(refused["content-range"] == "bytes */10000");
      CHECK(refused["access-control-allow-origin"] == "*");
    }
    // Several ranges: the whole body, as RFC 9110 allows, instead of multipart.
    auto several = client.request("GET", target, {"Range: bytes=0-9, 20-29"});
    CHECK(several.status == 200);
    CHECK(several.body == kSegment);
    CHECK_FALSE(several.has("content-range"));
    // A malformed or foreign-unit header is ignored.
    CHECK(client.request("GET", target, {"Range: bytes=9-1"}).status == 200);
    CHECK(client.request("GET", target, {"Range: items=0-1"}).status == 200);
    // A conditional match wins over the range.
    auto etag = client.request("GET", target)["etag"];
    CHECK(client.request("GET", target, {"Range: bytes=0-9", "If-None-Match: " + etag}).status ==
          304);
  }
}

TEST_CASE("If-Range: ranges of the same version only", "[origin][range]") {
  Fixture f;
  RunningOrigin origin(test_config(f.root), f.source);
  Client client(origin.port());
  for (const auto& target : both_targets()) {
    INFO(target);
    auto full = client.request("GET", target);
    auto same = client.request("GET", target, {"Range: bytes=0-9", "If-Range: " + full["etag"]});
    CHECK(same.status == 206);
    CHECK(same.body == kSegment.substr(0, 10));
    auto changed = client.request("GET", target, {"Range: bytes=0-9", "If-Range: \"old\""});
    CHECK(changed.status == 200);
    CHECK(changed.body == kSegment);
    CHECK(
        client.request("GET", target, {"Range: bytes=0-9", "If-Range: W/" + full["etag"]}).status ==
        200);
    CHECK(client.request("GET", target, {"Range: bytes=0-9", "If-Range: " + full["last-modified"]})
              .status == 206);
  }
}

TEST_CASE("ranges of playlists in memory", "[origin][range]") {
  Fixture f;
  f.source.put(kStreamId, "index.m3u8", "#EXTM3U\n#abcdef\n");
  RunningOrigin origin(test_config(f.root), f.source);
  auto part = fetch(origin.port(), live("index.m3u8"), {"Range: bytes=-7"});
  CHECK(part.status == 206);
  CHECK(part.body == std::string("#EXTM3U\n#abcdef\n").substr(9));
  CHECK(part["content-range"] == "bytes 9-15/16");
}
