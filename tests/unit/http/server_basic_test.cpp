#include <catch2/catch.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <cstring>
#include <ctime>
#include <random>

#include "looplive/http/util.hpp"
#include "test_server.hpp"

using namespace looplive;
using namespace looplive::http;
using namespace looplive::http::test;

namespace {

// Answers "<method> <path> <query> conn=<id>" for any request.
void echo(const Request& request, Respond respond) {
  respond(text(std::string(request.message.method_string()) + " " + std::string(request.path()) +
               " " + std::string(request.query()) +
               " conn=" + std::to_string(request.connection_id)));
}

std::vector<uint8_t> random_bytes(size_t size, unsigned seed) {
  std::mt19937 generator(seed);
  std::vector<uint8_t> bytes(size);
  for (auto& byte : bytes) byte = uint8_t(generator());
  return bytes;
}

}  // namespace

TEST_CASE("two requests share one kept-alive connection", "[http][server]") {
  TestServer server(echo);
  Client client(server.port());
  auto first = client.get("/live/a/index.m3u8?x=1");
  REQUIRE(first);
  CHECK(first->status() == 200);
  CHECK(first->body().rfind("GET /live/a/index.m3u8 x=1 conn=", 0) == 0);
  CHECK(first->message.keep_alive());
  auto second = client.get("/b");
  REQUIRE(second);
  CHECK(second->status() == 200);
  auto conn = first->body().substr(first->body().find("conn="));
  CHECK(second->body() == "GET /b  " + conn);
  CHECK(server.server().connection_count() == 1);
}

TEST_CASE("responses carry Date, Server and Content-Length", "[http][server]") {
  TestServer server(echo);
  Client client(server.port());
  auto reply = client.get("/x");
  REQUIRE(reply);
  CHECK(reply->header(bhttp::field::server) == "looplive");
  CHECK(reply->header(bhttp::field::content_type) == "text/plain");
  CHECK(reply->header(bhttp::field::content_length) == std::to_string(reply->body().size()));
  CHECK_FALSE(reply->has(bhttp::field::transfer_encoding));
  auto date = parse_http_date(reply->header(bhttp::field::date));
  REQUIRE(date);
  CHECK(std::abs(double(*date - std::time(nullptr))) <= 2);
}

TEST_CASE("HEAD gets GET's headers and no body", "[http][server]") {
  std::atomic<int> heads{0};
  TestServer server([&](const Request& request, Respond respond) {
    if (request.method() == bhttp::verb::head) ++heads;
    respond(text("hello, world"));  // as for GET: the server leaves the body out
  });
  Client client(server.port());
  REQUIRE(client.send("HEAD /x HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto head = client.response(true);
  REQUIRE(head);
  CHECK(head->status() == 200);
  CHECK(head->header(bhttp::field::content_length) == "12");
  CHECK(head->body().empty());
  CHECK(heads == 1);
  // A body sent after the HEAD response would be read here as the next response.
  auto get = client.get("/x");
  REQUIRE(get);
  CHECK(get->status() == 200);
  CHECK(get->body() == "hello, world");
  CHECK(client.received().empty());
}

TEST_CASE("string and SharedBytes bodies arrive byte for byte", "[http][server]") {
  auto bytes = random_bytes(3 << 20, 7);
  core::SharedBytes shared{std::vector<uint8_t>(bytes)};
  std::string binary_text(reinterpret_cast<const char*>(bytes.data()), 100000);
  core::MemoryFileBuilder builder;
  builder.append(bytes);
  const core::SharedBytes in_file = builder.seal();
  REQUIRE(in_file.fd() >= 0);  // sent with sendfile, from an offset when sliced
  TestServer server([&](const Request& request, Respond respond) {
    if (request.path() == "/in-file")
      respond(Response(bhttp::status::ok, in_file, "video/mp4"));
    else if (request.path() == "/in-file-slice")
      respond(Response(bhttp::status::ok, in_file.slice(1000, 50000)));
    else if (request.path() == "/shared")
      respond(Response(bhttp::status::ok, shared, "video/mp4"));
    else if (request.path() == "/slice")
      respond(Response(bhttp::status::ok, shared.slice(1000, 5000)));
    else if (request.path() == "/empty")
      respond(Response(bhttp::status::ok, core::SharedBytes()));
    else
      respond(Response(bhttp::status::ok, binary_text));
  });
  Client client(server.port());
  auto whole = client.get("/shared");
  REQUIRE(whole);
  CHECK(whole->header(bhttp::field::content_type) == "video/mp4");
  REQUIRE(whole->body().size() == bytes.size());
  CHECK(std::memcmp(bytes.data(), whole->body().data(), bytes.size()) == 0);
  auto slice = client.get("/slice");
  REQUIRE(slice);
  CHECK(slice->body() == std::string(reinterpret_cast<const char*>(bytes.data()) + 1000, 5000));
  for (int i = 0; i < 2; ++i) {  // the same in-memory file, twice on one connection
    auto sent = client.get("/in-file");
    REQUIRE(sent);
    REQUIRE(sent->body().size() == bytes.size());
    CHECK(std::memcmp(bytes.data(), sent->body().data(), bytes.size()) == 0);
  }
  auto file_slice = client.get("/in-file-slice");
  REQUIRE(file_slice);
  CHECK(file_slice->body() ==
        std::string(reinterpret_cast<const char*>(bytes.data()) + 1000, 50000));
  auto empty = client.get("/empty");
  REQUIRE(empty);
  CHECK(empty->header(bhttp::field::content_length) == "0");
  CHECK(empty->body().empty());
  auto string = client.get("/string");
  REQUIRE(string);
  CHECK(string->body() == binary_text);
}

TEST_CASE("a handler may answer later from another thread", "[http][server]") {
  boost::asio::thread_pool workers(2);
  TestServer server([&](const Request& request, Respond respond) {
    if (request.path() != "/slow") return respond(text("fast"));
    boost::asio::post(workers, [respond = std::move(respond)] {
      std::this_thread::sleep_for(200ms);
      respond(text("slow"));
    });
  });
  JoinFirst join_workers(workers);
  Client slow(server.port());
  auto started = Clock::now();
  REQUIRE(slow.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n"));
  // Another connection is served while the slow answer is pending.
  Client fast(server.port());
  auto quick = fast.get("/fast");
  REQUIRE(quick);
  CHECK(quick->body() == "fast");
  CHECK(ms_since(started) < 150);
  auto late = slow.response();
  REQUIRE(late);
  CHECK(late->body() == "slow");
  CHECK(ms_since(started) >= 200);
  // The connection is reusable afterwards.
  auto again = slow.get("/fast");
  REQUIRE(again);
  CHECK(again->body() == "fast");
}

TEST_CASE("a handler that throws, drops or repeats its answer", "[http][server]") {
  boost::asio::thread_pool workers(1);
  TestServer server([&](const Request& request, Respond respond) {
    if (request.path() == "/throw") throw std::runtime_error("boom");
    if (request.path() == "/drop") {
      boost::asio::post(workers, [respond = std::move(respond)] {});
      return;
    }
    respond(text("first"));
    respond(text("second", bhttp::status::not_found));
  });
  JoinFirst join_workers(workers);
  Client client(server.port());
  auto thrown = client.get("/throw");
  REQUIRE(thrown);
  CHECK(thrown->status() == 500);
  auto dropped = client.get("/drop");
  REQUIRE(dropped);
  CHECK(dropped->status() == 500);
  auto twice = client.get("/twice");
  REQUIRE(twice);
  CHECK(twice->status() == 200);
  CHECK(twice->body() == "first");
  auto after = client.get("/twice");
  REQUIRE(after);
  CHECK(after->body() == "first");
  CHECK(client.received().empty());
}

TEST_CASE("Connection: close and HTTP/1.0 end the connection", "[http][server]") {
  TestServer server([](const Request& request, Respond respond) {
    Response response = text("bye");
    if (request.path() == "/handler-closes")
      response.headers.set(bhttp::field::connection, "close");
    respond(std::move(response));
  });
  SECTION("the client asks") {
    Client client(server.port());
    auto reply = client.get("/", "Connection: close\r\n");
    REQUIRE(reply);
    CHECK_FALSE(reply->message.keep_alive());
    CHECK(client.closed_within(1s));
  }
  SECTION("the handler asks") {
    Client client(server.port());
    auto reply = client.get("/handler-closes");
    REQUIRE(reply);
    CHECK(reply->header(bhttp::field::connection) == "close");
    CHECK(client.closed_within(1s));
  }
  SECTION("HTTP/1.0 without keep-alive") {
    Client client(server.port());
    REQUIRE(client.send("GET / HTTP/1.0\r\n\r\n"));
    auto reply = client.response();
    REQUIRE(reply);
    CHECK(reply->message.version() == 10);
    CHECK(client.closed_within(1s));
  }
  SECTION("HTTP/1.0 with keep-alive stays open") {
    Client client(server.port());
    REQUIRE(client.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    auto reply = client.response();
    REQUIRE(reply);
    CHECK(reply->message.keep_alive());
    CHECK_FALSE(client.closed_within(200ms));
    REQUIRE(client.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    CHECK(client.response());
  }
}

TEST_CASE("request bodies reach the handler, with 100-continue", "[http][server]") {
  TestServer server([](const Request& request, Respond respond) {
    respond(text("got " + std::to_string(request.message.body().size()) + ": " +
                 request.message.body().substr(0, 5)));
  });
  Client client(server.port());
  REQUIRE(client.send("POST /api HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world"));
  auto plain = client.response();
  REQUIRE(plain);
  CHECK(plain->body() == "got 11: hello");

  REQUIRE(client.send(
      "POST /api HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = client.response();
  REQUIRE(interim);
  CHECK(interim->status() == 100);
  REQUIRE(client.send("abcde"));
  auto final = client.response();
  REQUIRE(final);
  CHECK(final->body() == "got 5: abcde");

  REQUIRE(
      client.send("POST /api HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "3\r\nxyz\r\n2\r\nuv\r\n0\r\n\r\n"));
  auto chunked = client.response();
  REQUIRE(chunked);
  CHECK(chunked->body() == "got 5: xyzuv");
}

TEST_CASE("204 and 304 go without a body", "[http][server]") {
  TestServer server([](const Request& request, Respond respond) {
    if (request.path() == "/204") return respond(Response(bhttp::status::no_content, "ignored"));
    respond(Response(bhttp::status::not_modified, "ignored"));
  });
  Client client(server.port());
  auto no_content = client.get("/204");
  REQUIRE(no_content);
  CHECK(no_content->status() == 204);
  CHECK_FALSE(no_content->has(bhttp::field::content_length));
  auto not_modified = client.get("/304");
  REQUIRE(not_modified);
  CHECK(not_modified->status() == 304);
  CHECK_FALSE(not_modified->has(bhttp::field::content_length));
  // Stray body bytes would break this exchange.
  auto again = client.get("/204");
  REQUIRE(again);
  CHECK(again->status() == 204);
  CHECK(client.received().empty());
}

TEST_CASE("a body larger than the socket takes at once arrives whole", "[http][server]") {
  // Far more than a loopback socket buffers: the write stops on a full
  // socket and carries on when the client has read, several times over.
  const auto bytes = random_bytes(24 << 20, 11);
  const std::string body(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  TestServer server([&](const Request&, Respond respond) { respond(text(body)); });
  Client client(server.port());
  for (int i = 0; i < 2; ++i) {  // and the connection is ready for the next request
    auto reply = client.get("/big");
    REQUIRE(reply);
    CHECK(reply->status() == 200);
    CHECK(reply->body().size() == body.size());
    CHECK(reply->body() == body);
  }
}
