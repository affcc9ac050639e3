#include <catch2/catch.hpp>

#include <condition_variable>
#include <deque>

#include "test_server.hpp"

using namespace looplive::http;
using namespace looplive::http::test;
using looplive::core::SharedBytes;

namespace {

SharedBytes bytes_of(std::string_view text) {
  return SharedBytes::copy_of({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
}

// The producer side of a StreamBody that the test feeds piece by piece, from
// its own thread, as a packager feeds a segment still being written.
class Feed {
 public:
  StreamBody body() {
    return StreamBody{[this](ChunkSink sink) {
      std::lock_guard lock(mutex_);
      waiting_ = std::move(sink);
      ++asked_;
      changed_.notify_all();
    }};
  }
  // Waits until the server asks for a piece, then hands it over.
  bool give(Chunk chunk) {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, 3s, [&] { return static_cast<bool>(waiting_); })) return false;
    ChunkSink sink = std::exchange(waiting_, nullptr);
    lock.unlock();
    sink(std::move(chunk));
    return true;
  }
  // Lets the pending sink go without calling it.
  bool drop() {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, 3s, [&] { return static_cast<bool>(waiting_); })) return false;
    waiting_ = nullptr;
    return true;
  }
  int asked() {
    std::lock_guard lock(mutex_);
    return asked_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  ChunkSink waiting_;
  int asked_ = 0;
};

}  // namespace

TEST_CASE("a stream body goes out chunk by chunk as it is produced", "[http][server][stream]") {
  Feed feed;
  TestServer server([&](const Request& request, Respond respond) {
    if (request.path() == "/plain") return respond(text("plain"));
    respond(Response(bhttp::status::ok, feed.body(), "video/mp4"));
  });
  Client client(server.port());
  REQUIRE(client.send("GET /growing HTTP/1.1\r\nHost: t\r\n\r\n"));
  REQUIRE(feed.give({bytes_of("first piece "), false, false}));
  // The client has the head and the first piece while the rest does not exist yet.
  CHECK(eventually([&] {
    client.closed_now();
    return client.received().find("first piece ") != std::string::npos;
  }));
  CHECK(client.received().find("Transfer-Encoding: chunked\r\n") != std::string::npos);
  CHECK(client.received().find("Content-Length") == std::string::npos);
  REQUIRE(feed.give({{}, false, false}));  // nothing new this time
  REQUIRE(feed.give({bytes_of("and the last"), true, false}));
  auto reply = client.response();
  REQUIRE(reply);
  CHECK(reply->status() == 200);
  CHECK(reply->body() == "first piece and the last");
  CHECK(feed.asked() == 3);
  // The connection stays usable: the body ended where the chunked coding said.
  auto next = client.get("/plain");
  REQUIRE(next);
  CHECK(next->body() == "plain");

  // A body that ends with no bytes in its last piece.
  REQUIRE(client.send("GET /growing HTTP/1.1\r\nHost: t\r\n\r\n"));
  REQUIRE(feed.give({bytes_of("only"), false, false}));
  REQUIRE(feed.give({{}, true, false}));
  auto ended = client.response();
  REQUIRE(ended);
  CHECK(ended->body() == "only");

  // HEAD: the head alone, and the producer is never asked.
  const int asked = feed.asked();
  REQUIRE(client.send("HEAD /growing HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto head = client.response(true);
  REQUIRE(head);
  CHECK(head->header(bhttp::field::transfer_encoding) == "chunked");
  CHECK(feed.asked() == asked);
  CHECK(client.get("/plain"));
}

TEST_CASE("a stream body that breaks or is dropped is never seen complete",
          "[http][server][stream]") {
  Feed feed;
  TestServer server([&](const Request&, Respond respond) {
    respond(Response(bhttp::status::ok, feed.body(), "video/mp4"));
  });
  {
    Client client(server.port());
    REQUIRE(client.send("GET /growing HTTP/1.1\r\nHost: t\r\n\r\n"));
    REQUIRE(feed.give({bytes_of("some bytes"), false, false}));
    REQUIRE(feed.give({{}, false, true}));
    CHECK_FALSE(client.response());
    CHECK(client.closed_within(3s));
    CHECK(client.received().find("0\r\n\r\n") == std::string::npos);
  }
  {
    Client client(server.port());
    REQUIRE(client.send("GET /growing HTTP/1.1\r\nHost: t\r\n\r\n"));
    REQUIRE(feed.give({bytes_of("some bytes"), false, false}));
    REQUIRE(feed.drop());
    CHECK_FALSE(client.response());
    CHECK(client.closed_within(3s));
  }
}

TEST_CASE("an HTTP/1.0 client gets a stream body delimited by the close",
          "[http][server][stream]") {
  Feed feed;
  TestServer server([&](const Request&, Respond respond) {
    respond(Response(bhttp::status::ok, feed.body(), "video/mp4"));
  });
  Client client(server.port());
  REQUIRE(client.send("GET /growing HTTP/1.0\r\n\r\n"));
  REQUIRE(feed.give({bytes_of("abc"), false, false}));
  REQUIRE(feed.give({bytes_of("def"), true, false}));
  CHECK(client.closed_within(3s));
  const std::string& received = client.received();
  CHECK(received.find("Transfer-Encoding") == std::string::npos);
  CHECK(received.ends_with("\r\n\r\nabcdef"));
}
