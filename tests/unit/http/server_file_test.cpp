#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "process.hpp"
#include "test_server.hpp"

using namespace looplive::http;
using namespace looplive::http::test;

namespace {

// A scratch directory holding a 5 MB file of random bytes, removed afterwards.
struct BigFile {
  std::string dir = looplive::test::make_scratch_dir("http_file");
  std::string path = dir + "/segment.m4s";
  std::string bytes;

  BigFile() {
    std::mt19937 generator(42);
    bytes.resize(5 << 20);
    for (auto& byte : bytes) byte = char(generator());
    std::ofstream(path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
  }
  ~BigFile() { std::filesystem::remove_all(dir); }
};

bool same(const std::string& received, const std::string& expected) {
  return received.size() == expected.size() &&
         std::memcmp(received.data(), expected.data(), expected.size()) == 0;
}

}  // namespace

TEST_CASE("file bodies are sent whole or in part", "[http][server][file]") {
  BigFile file;
  TestServer server([&](const Request& request, Respond respond) {
    FileBody body{file.path};
    if (request.path() == "/part") body = FileBody{file.path, 1234567, 2 << 20};
    if (request.path() == "/tail") body = FileBody{file.path, 5000000};
    if (request.path() == "/missing") body = FileBody{file.dir + "/nope.m4s"};
    if (request.path() == "/too-long") body = FileBody{file.path, 1000, 5 << 20};
    if (request.path() == "/empty-part") body = FileBody{file.path, 10, 0};
    respond(Response(bhttp::status::ok, std::move(body), "video/iso.segment"));
  });
  Client client(server.port());

  auto whole = client.get("/whole");
  REQUIRE(whole);
  CHECK(whole->status() == 200);
  CHECK(whole->header(bhttp::field::content_type) == "video/iso.segment");
  CHECK(whole->header(bhttp::field::content_length) == std::to_string(5 << 20));
  CHECK(same(whole->body(), file.bytes));

  // The same connection, so a header or body left corked would show here.
  auto part = client.get("/part");
  REQUIRE(part);
  CHECK(part->header(bhttp::field::content_length) == std::to_string(2 << 20));
  CHECK(same(part->body(), file.bytes.substr(1234567, 2 << 20)));

  auto tail = client.get("/tail");
  REQUIRE(tail);
  CHECK(same(tail->body(), file.bytes.substr(5000000)));

  auto empty = client.get("/empty-part");
  REQUIRE(empty);
  CHECK(empty->status() == 200);
  CHECK(empty->header(bhttp::field::content_length) == "0");

  REQUIRE(client.send("HEAD /whole HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto head = client.response(true);
  REQUIRE(head);
  CHECK(head->header(bhttp::field::content_length) == std::to_string(5 << 20));
  CHECK(head->body().empty());

  auto missing = client.get("/missing");
  REQUIRE(missing);
  CHECK(missing->status() == 404);
  CHECK(missing->header(bhttp::field::content_type) != "video/iso.segment");

  auto too_long = client.get("/too-long");
  REQUIRE(too_long);
  CHECK(too_long->status() == 500);

  auto after = client.get("/part");
  REQUIRE(after);
  CHECK(same(after->body(), file.bytes.substr(1234567, 2 << 20)));
  CHECK(client.received().empty());
}

TEST_CASE("a file is sent to a slow reader without blocking others", "[http][server][file]") {
  BigFile file;
  TestServer server([&](const Request& request, Respond respond) {
    if (request.path() == "/small") return respond(text("small"));
    respond(Response(bhttp::status::ok, FileBody{file.path}));
  });
  Client slow(server.port(), 32 * 1024);
  REQUIRE(slow.send("GET /big HTTP/1.1\r\nHost: t\r\n\r\n"));
  // The socket buffers fill up and the server waits for writability; meanwhile others get served.
  std::this_thread::sleep_for(300ms);
  Client other(server.port());
  auto started = Clock::now();
  auto small = other.get("/small");
  REQUIRE(small);
  CHECK(small->body() == "small");
  CHECK(ms_since(started) < 200);
  auto big = slow.response();
  REQUIRE(big);
  CHECK(same(big->body(), file.bytes));
}
