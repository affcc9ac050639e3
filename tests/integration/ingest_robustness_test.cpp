// Bad input and limits: each offender loses only its own connection, with a
// log line that says why, while a real publisher keeps streaming.
#include <catch2/catch.hpp>

#include <malloc.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#ifdef __SANITIZE_ADDRESS__
// From the sanitizer runtime (its header is not always installed).
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "ingest_harness.hpp"
#include "looplive/media/flv_tag_reader.hpp"
#include "media_fixture.hpp"

using namespace looplive;
using namespace looplive::test;
using namespace std::chrono_literals;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// A raw TCP client for feeding the server bytes no encoder would send.
class RawClient {
 public:
  explicit RawClient(uint16_t port, const char* from = "127.0.0.1") : socket_(io_) {
    socket_.open(tcp::v4());
    socket_.bind(tcp::endpoint(net::ip::make_address(from), 0));
    socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    timeval timeout{0, 200'000};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }

  int native_handle() { return socket_.native_handle(); }

  void send(const std::vector<uint8_t>& bytes) {
    boost::system::error_code ec;
    net::write(socket_, net::buffer(bytes), ec);
  }

  void handshake() {
    std::vector<uint8_t> c0c1(1537, 0x5a);
    c0c1[0] = 3;
    std::fill(c0c1.begin() + 1, c0c1.begin() + 9, 0);
    send(c0c1);
    std::vector<uint8_t> s0s1s2(3073);
    boost::system::error_code ec;
    net::read(socket_, net::buffer(s0s1s2), ec);
    REQUIRE(!ec);
    REQUIRE(s0s1s2[0] == 3);
    send(std::vector<uint8_t>(s0s1s2.begin() + 1, s0s1s2.begin() + 1537));  // C2 echoes S1
  }

  // True when the server closes the connection within `timeout` (reads and drops anything sent).
  bool closed_within(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    uint8_t buffer[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      ssize_t n = ::recv(socket_.native_handle(), buffer, sizeof buffer, 0);
      if (n == 0) return true;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return true;
    }
    return false;
  }

 private:
  net::io_context io_;
  tcp::socket socket_;
};

// A type-0 chunk header on chunk stream 3 for a command message of `length` bytes.
std::vector<uint8_t> command_header(uint32_t length) {
  return {0x03, 0, 0, 0, uint8_t(length >> 16), uint8_t(length >> 8), uint8_t(length), 20,
          0,    0, 0, 0};
}

app::Config robustness_config() {
  app::Config config = test_config(PgCluster::shared());
  config.rtmp.handshake_timeout = 500ms;
  config.rtmp.idle_timeout = 1500ms;
  config.rtmp.max_message_size = 1024 * 1024;
  return config;
}

}  // namespace

TEST_CASE("malformed input closes only the offending connection", "[integration][ingest]") {
  const auto& fixture = long_h264_aac_fixture();
  LogCapture logs;  // first: it must outlive the server threads that log into it
  TestServer server(robustness_config());
  auto stream = server.create_stream();
  std::string dir = make_scratch_dir("robust");
  Process publisher(ffmpeg_publish(fixture.path, server.url(stream.key)), dir + "/publisher.log");
  REQUIRE(server.wait_live(stream.stream.id, true));
  uint16_t port = server.server.rtmp_port();

  SECTION("an unsupported handshake version") {
    RawClient client(port);
    std::vector<uint8_t> c0c1(1537, 0);
    c0c1[0] = 6;  // RTMPE
    client.send(c0c1);
    CHECK(client.closed_within(2s));
    CHECK(logs.text().find("handshake") != std::string::npos);
  }
  SECTION("a handshake that stalls") {
    RawClient client(port);
    client.send(std::vector<uint8_t>(100, 3));
    auto started = std::chrono::steady_clock::now();
    CHECK(client.closed_within(3s));
    CHECK(std::chrono::steady_clock::now() - started >= 300ms);
    CHECK(logs.text().find("handshake not completed in time") != std::string::npos);
  }
  SECTION("a message longer than the limit") {
    RawClient client(port);
    client.handshake();
    client.send(command_header(4 * 1024 * 1024));
    CHECK(client.closed_within(2s));
    CHECK(logs.text().find("rtmp chunk stream") != std::string::npos);
  }
  SECTION("a continuation chunk with no message before it") {
    RawClient client(port);
    client.handshake();
    client.send({0xC5, 1, 2, 3, 4});
    CHECK(client.closed_within(2s));
    CHECK(logs.text().find("rtmp chunk stream") != std::string::npos);
  }
  SECTION("a command with invalid AMF0") {
    RawClient client(port);
    client.handshake();
    std::vector<uint8_t> bytes = command_header(4);
    bytes.insert(bytes.end(), {0x02, 0x00, 0x40, 0xFF});  // a string longer than the message
    client.send(bytes);
    CHECK(client.closed_within(2s));
    CHECK(logs.text().find("command:") != std::string::npos);
  }
  SECTION("random bytes after the handshake") {
    RawClient client(port);
    client.handshake();
    std::vector<uint8_t> noise(64 * 1024);
    uint32_t x = 12345;
    for (auto& b : noise) b = static_cast<uint8_t>((x = x * 1103515245 + 12345) >> 16);
    client.send(noise);
    CHECK(client.closed_within(3s));
  }
  SECTION("a client that goes silent") {
    RawClient client(port);
    client.handshake();
    auto started = std::chrono::steady_clock::now();
    CHECK(client.closed_within(4s));
    CHECK(std::chrono::steady_clock::now() - started >= 1s);
    CHECK(logs.text().find("nothing received for") != std::string::npos);
  }

  // The real publisher never noticed.
  CHECK(server.server.registry().is_live(stream.stream.id));
  auto status = publisher.wait(60s);
  INFO(publisher.output());
  REQUIRE(status == 0);
  auto publishes = server.sinks.publishes(stream.stream.id);
  REQUIRE(publishes.size() == 1);
  CHECK(static_cast<long>(publishes[0].count(media::FlvTagReader::kVideoTrack)) >=
        fixture.video_frames * 99 / 100);
}

TEST_CASE("thousands of idle connections do not stop a publisher", "[integration][ingest]") {
  const auto& fixture = h264_aac_fixture();
  app::Config config = test_config(PgCluster::shared());
  config.rtmp.max_connections = 2500;
  config.rtmp.max_connections_per_address = 2500;  // every client here is 127.0.0.1
  TestServer server(config);
  auto stream = server.create_stream();
  uint16_t port = server.server.rtmp_port();

  net::io_context io;
  std::vector<tcp::socket> idle;
  for (int i = 0; i < 2000; ++i) {
    idle.emplace_back(io);
    idle.back().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (server.server.rtmp_connections() < 2000 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  REQUIRE(server.server.rtmp_connections() == 2000);

  std::string out;
  int status = run_command(ffmpeg_publish(fixture.path, server.url(stream.key)), &out, 60s);
  INFO(out);
  REQUIRE(status == 0);
  auto publishes = server.sinks.publishes(stream.stream.id);
  REQUIRE(publishes.size() == 1);
  CHECK(static_cast<long>(publishes[0].count(media::FlvTagReader::kVideoTrack)) >=
        fixture.video_frames * 99 / 100);
}

TEST_CASE("connections beyond max_connections are closed at once", "[integration][ingest]") {
  app::Config config = test_config(PgCluster::shared());
  config.rtmp.max_connections = 20;
  config.rtmp.max_connections_per_address = 100;
  TestServer server(config);
  uint16_t port = server.server.rtmp_port();

  std::vector<std::unique_ptr<RawClient>> allowed;
  for (int i = 0; i < 20; ++i) allowed.push_back(std::make_unique<RawClient>(port));
  std::this_thread::sleep_for(300ms);  // let the server accept them all
  RawClient extra(port);
  CHECK(extra.closed_within(2s));
  CHECK_FALSE(allowed.front()->closed_within(300ms));
}

namespace {

// The heap this process (the server runs in it) has allocated and not freed.
// Under AddressSanitizer freed blocks wait in a quarantine that resident
// memory counts; its own figure does not.
size_t heap_in_use() {
#ifdef __SANITIZE_ADDRESS__
  return __sanitizer_get_current_allocated_bytes();
#else
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
#endif
}

// This process's resident memory, in bytes: the server runs in it.
size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0;
  size_t resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

TEST_CASE("before login, a client costs the memory of what it sent, not what it announced",
          "[integration][ingest]") {
  app::Config config = robustness_config();
  config.rtmp.max_message_size = 8 * 1024 * 1024;
  config.rtmp.idle_timeout = 10s;
  config.rtmp.max_connections_per_address = 100;
  TestServer server(config);
  const uint16_t port = server.server.rtmp_port();
  // Set Chunk Size 8 MiB, then four video messages announced at 64 KiB each
  // (the most before a publish) on four chunk streams, with a few bytes of
  // each: about 600 bytes a connection.
  std::vector<uint8_t> attack{0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0x00, 0x80, 0x00, 0x00};
  for (uint8_t csid = 3; csid < 7; ++csid) {
    const std::vector<uint8_t> header{csid, 0, 0, 0, 0x01, 0, 0, 9, 0, 0, 0, 0, 5, 5, 5, 5};
    attack.insert(attack.end(), header.begin(), header.end());
  }
  constexpr size_t kClients = 40;
  std::vector<std::unique_ptr<RawClient>> clients;
  const size_t before = resident_bytes();
  for (size_t i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<RawClient>(port));
    clients.back()->handshake();
    clients.back()->send(attack);
  }
  std::this_thread::sleep_for(500ms);
  const size_t grown = resident_bytes() > before ? resident_bytes() - before : 0;
  INFO(grown / 1024 << " KiB more resident for " << kClients << " connections");
  // It was 8 MiB a connection (the receive buffer sized to the chunk size at once).
  CHECK(grown < kClients * 1024 * 1024);
  for (auto& client : clients) CHECK_FALSE(client->closed_within(10ms));
}

namespace {

using Bytes = std::vector<uint8_t>;

// Each input from the security review, sent by a client that never logs in.
Bytes ping_flood(size_t pings) {
  // A ping request (User Control 6) on chunk stream 2, then the same message
  // again and again behind 1-byte format 3 headers: 7 bytes a ping.
  Bytes bytes{0x02, 0, 0, 0, 0, 0, 6, 4, 0, 0, 0, 0, 0x00, 0x06, 0, 0, 0, 0};
  for (size_t i = 1; i < pings; ++i) bytes.insert(bytes.end(), {0xC2, 0x00, 0x06, 0, 0, 0, 0});
  return bytes;
}

Bytes eight_mib_command() {
  // A type-20 message announced at 8 MiB, a strict array of nulls.
  return {0x03, 0, 0, 0, 0x7F, 0xFF, 0xFB, 20, 0, 0, 0, 0, 0x0A, 0x00, 0x7F, 0xFF, 0xF6, 5, 5, 5};
}

Bytes eight_mib_video() {
  // Set Chunk Size 65536, then a video message announced at 8 MiB and its
  // first 64 KiB, before any publish.
  Bytes bytes{0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0x00, 0x01, 0x00, 0x00};
  bytes.insert(bytes.end(), {0x06, 0, 0, 0, 0x80, 0x00, 0x00, 9, 1, 0, 0, 0});
  bytes.insert(bytes.end(), 65536, 0x17);
  return bytes;
}

Bytes many_half_messages() {
  // Set Chunk Size 32768, then 40 video messages of 65000 bytes, each on a
  // chunk stream of its own and each cut after its first chunk: 1.3 MB held
  // in unfinished messages, every one within the limits.
  Bytes bytes{0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0x00, 0x00, 0x80, 0x00};
  for (uint8_t csid = 3; csid < 43; ++csid) {
    bytes.insert(bytes.end(), {csid, 0, 0, 0, 0x00, 0xFD, 0xE8, 9, 1, 0, 0, 0});
    bytes.insert(bytes.end(), 32768, 0x17);
  }
  return bytes;
}

Bytes null_array_command() {
  // Set Chunk Size 65536, then one 64 KiB command holding an array of 65531 nulls.
  Bytes bytes{0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0x00, 0x01, 0x00, 0x00};
  bytes.insert(bytes.end(), {0x03, 0, 0, 0, 0x01, 0x00, 0x00, 20, 0, 0, 0, 0});
  bytes.insert(bytes.end(), {0x0A, 0x00, 0x00, 0xFF, 0xFB});
  bytes.insert(bytes.end(), 65531, 0x05);
  return bytes;
}

Bytes chunk_stream_flood() {
  // Zero-length messages, each on a fresh chunk stream 64..65599.
  Bytes bytes;
  for (uint32_t n = 0; n < 65536; ++n)
    bytes.insert(bytes.end(), {0x01, uint8_t(n), uint8_t(n >> 8), 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0});
  return bytes;
}

}  // namespace

TEST_CASE("each input of the security review ends its connection before it costs memory",
          "[integration][ingest]") {
  LogCapture logs;
  app::Config config = robustness_config();
  config.rtmp.max_message_size = 8 * 1024 * 1024;
  config.rtmp.idle_timeout = 10s;
  config.rtmp.max_connections_per_address = 100;
  TestServer server(config);
  const uint16_t port = server.server.rtmp_port();
  const std::vector<std::pair<Bytes, std::string>> attacks{
      {ping_flood(300'000), "does not read its replies"},
      {eight_mib_command(), "type 20 and 8388603 bytes exceeds the limit of 65536"},
      {eight_mib_video(), "type 9 and 8388608 bytes exceeds the limit of 65536"},
      {null_array_command(), "more than 4096 values"},
      {chunk_stream_flood(), "more than 64 chunk streams"},
      {many_half_messages(), "before publishing, over its own budget of 1048576"},
  };
  constexpr size_t kClientsEach = 8;
  const size_t before = heap_in_use();
  std::vector<std::unique_ptr<RawClient>> clients;
  for (const auto& [attack, why] : attacks) {
    for (size_t i = 0; i < kClientsEach; ++i) {
      clients.push_back(std::make_unique<RawClient>(port));
      // The attacker reads nothing: its receive buffer stays small and full.
      const int small = 4096;
      setsockopt(clients.back()->native_handle(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
      clients.back()->handshake();
      clients.back()->send(attack);
    }
  }
  const size_t grown = heap_in_use() > before ? heap_in_use() - before : 0;
  INFO(grown / 1024 << " KiB more heap for " << clients.size() << " connections");
  // Before, the ping floods alone queued megabytes of replies each.
  CHECK(grown < clients.size() * 1024 * 1024);
  for (auto& client : clients) CHECK(client->closed_within(3s));
  const std::string text = logs.text();
  for (const auto& [attack, why] : attacks) {
    INFO(why);
    CHECK(text.find(why) != std::string::npos);
  }
}

TEST_CASE("connections from one address beyond its cap are closed; other addresses are not",
          "[integration][ingest]") {
  app::Config config = test_config(PgCluster::shared());
  config.rtmp.max_connections_per_address = 5;
  TestServer server(config);
  const uint16_t port = server.server.rtmp_port();
  std::vector<std::unique_ptr<RawClient>> allowed;
  for (int i = 0; i < 5; ++i) allowed.push_back(std::make_unique<RawClient>(port));
  std::this_thread::sleep_for(300ms);
  RawClient extra(port);
  CHECK(extra.closed_within(2s));
  CHECK_FALSE(allowed.front()->closed_within(300ms));
  // Another address on this machine (127.0.0.2 reaches the same listener).
  RawClient other(port, "127.0.0.2");
  CHECK_FALSE(other.closed_within(300ms));
  // A slot given back is free again.
  allowed.pop_back();
  std::this_thread::sleep_for(300ms);
  RawClient again(port);
  CHECK_FALSE(again.closed_within(300ms));
}

namespace {

// AMF0 pieces for a hand-made publish.
void amf_string(std::vector<uint8_t>& out, const std::string& text) {
  out.push_back(0x02);
  out.push_back(static_cast<uint8_t>(text.size() >> 8));
  out.push_back(static_cast<uint8_t>(text.size()));
  out.insert(out.end(), text.begin(), text.end());
}

void amf_number(std::vector<uint8_t>& out, double value) {
  out.push_back(0x00);
  uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(bits >> shift));
}

// One message in one chunk (chunk size 4096 announced first), type-0 header.
std::vector<uint8_t> message(uint8_t csid, uint8_t type, uint32_t stream,
                             const std::vector<uint8_t>& body) {
  const auto length = static_cast<uint32_t>(body.size());
  std::vector<uint8_t> out{csid,
                           0,
                           0,
                           0,
                           uint8_t(length >> 16),
                           uint8_t(length >> 8),
                           uint8_t(length),
                           type,
                           uint8_t(stream),
                           0,
                           0,
                           0};
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// connect, createStream and publish with `key`, each a command on chunk stream 3.
std::vector<uint8_t> publish_commands(const std::string& key) {
  std::vector<uint8_t> out = message(2, 1, 0, {0, 0, 0x10, 0});  // Set Chunk Size 4096
  std::vector<uint8_t> connect;
  amf_string(connect, "connect");
  amf_number(connect, 1);
  connect.push_back(0x03);  // object {app: "live"}
  connect.insert(connect.end(), {0, 3, 'a', 'p', 'p'});
  amf_string(connect, "live");
  connect.insert(connect.end(), {0, 0, 0x09});
  auto append = [&](const std::vector<uint8_t>& bytes) {
    out.insert(out.end(), bytes.begin(), bytes.end());
  };
  append(message(3, 20, 0, connect));
  std::vector<uint8_t> create;
  amf_string(create, "createStream");
  amf_number(create, 2);
  create.push_back(0x05);
  append(message(3, 20, 0, create));
  std::vector<uint8_t> publish;
  amf_string(publish, "publish");
  amf_number(publish, 3);
  publish.push_back(0x05);
  amf_string(publish, key);
  amf_string(publish, "live");
  append(message(3, 20, 1, publish));
  return out;
}

}  // namespace

// Receive batching holds a message's bytes until it is whole; a publisher
// whose frame trickles in slower than the idle timeout is still sending and
// must not be dropped as silent.
TEST_CASE("a publisher whose frame trickles in is not taken for a silent one",
          "[integration][ingest]") {
  LogCapture logs;
  TestServer server(robustness_config());  // idle after 1.5 s
  auto stream = server.create_stream();
  RawClient client(server.server.rtmp_port());
  client.handshake();
  client.send(publish_commands(stream.key));
  const auto publishing = [&] { return !server.sinks.publishes(stream.stream.id).empty(); };
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!publishing() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  REQUIRE(publishing());

  // A 3,000-byte video message, 100 bytes every 200 ms: 6 s in all, well past the idle timeout.
  std::vector<uint8_t> frame = message(6, 9, 1, std::vector<uint8_t>(3000, 0x17));
  const auto started = std::chrono::steady_clock::now();
  for (size_t at = 0; at < frame.size(); at += 100) {
    client.send(std::vector<uint8_t>(
        frame.begin() + static_cast<ptrdiff_t>(at),
        frame.begin() + static_cast<ptrdiff_t>(std::min(frame.size(), at + 100))));
    if (client.closed_within(200ms)) break;
  }
  INFO(logs.text());
  CHECK(std::chrono::steady_clock::now() - started > 5s);
  CHECK_FALSE(client.closed_within(300ms));
  CHECK(logs.text().find("nothing received") == std::string::npos);
}
