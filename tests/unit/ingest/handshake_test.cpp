#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "amf0.hpp"
#include "chunk_reader.hpp"
#include "handshake.hpp"

extern char** environ;

namespace ingest = looplive::ingest;

namespace {

using Bytes = std::vector<uint8_t>;
constexpr size_t kPacket = ingest::kHandshakePacketSize;

// The keys are spelled out here on purpose, apart from the implementation's
// copy, so a typo in one of them cannot make both sides agree.
Bytes key(std::string_view text) {
  static constexpr uint8_t kTail[] = {0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8,
                                      0x2E, 0x00, 0xD0, 0xD1, 0x02, 0x9E, 0x7E, 0x57,
                                      0x6E, 0xEC, 0x5D, 0x2D, 0x29, 0x80, 0x6F, 0xAB,
                                      0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE};
  Bytes out(text.begin(), text.end());
  out.insert(out.end(), std::begin(kTail), std::end(kTail));
  return out;
}
const Bytes kPlayerKey = key("Genuine Adobe Flash Player 001");        // 62 bytes
const Bytes kServerKey = key("Genuine Adobe Flash Media Server 001");  // 68 bytes
constexpr size_t kPlayerKeyText = 30;
constexpr size_t kServerKeyText = 36;

Bytes hmac(const Bytes& key_bytes, const uint8_t* data, size_t size) {
  Bytes out(32);
  unsigned int length = 0;
  REQUIRE(HMAC(EVP_sha256(), key_bytes.data(), static_cast<int>(key_bytes.size()), data, size,
               out.data(), &length) != nullptr);
  REQUIRE(length == 32);
  return out;
}

size_t digest_offset(const uint8_t* packet, int schema) {
  const size_t base = schema == 0 ? 8 : 772;
  return base + 4 +
         (size_t{packet[base]} + packet[base + 1] + packet[base + 2] + packet[base + 3]) % 728;
}

// HMAC over the packet without the 32 bytes at `offset`.
Bytes packet_digest(const uint8_t* packet, size_t offset, const Bytes& key_bytes) {
  Bytes rest(packet, packet + offset);
  rest.insert(rest.end(), packet + offset + 32, packet + kPacket);
  return hmac(key_bytes, rest.data(), rest.size());
}

Bytes random_bytes(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes out(size);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

Bytes plain_c0c1(uint32_t seed) {
  Bytes c0c1 = random_bytes(1 + kPacket, seed);
  c0c1[0] = 3;
  std::fill_n(c0c1.begin() + 5, 4, uint8_t{0});
  return c0c1;
}

// C0+C1 the way Flash Player, librtmp and FFmpeg sign it.
Bytes complex_c0c1(int schema, uint32_t seed) {
  Bytes c0c1 = random_bytes(1 + kPacket, seed);
  c0c1[0] = 3;
  uint8_t* c1 = c0c1.data() + 1;
  const uint8_t version[] = {10, 0, 45, 2};
  std::copy(std::begin(version), std::end(version), c1 + 4);
  const size_t offset = digest_offset(c1, schema);
  const Bytes signing_key(kPlayerKey.begin(), kPlayerKey.begin() + kPlayerKeyText);
  const Bytes digest = packet_digest(c1, offset, signing_key);
  std::copy(digest.begin(), digest.end(), c1 + offset);
  return c0c1;
}

void check_complex_answer(const Bytes& c0c1, const ingest::HandshakeAnswer& answer, int schema) {
  REQUIRE(answer.s0s1s2.size() == 1 + 2 * kPacket);
  CHECK(answer.complex);
  CHECK(answer.s0s1s2[0] == 3);
  const uint8_t* s1 = answer.s0s1s2.data() + 1;
  const uint8_t* s2 = s1 + kPacket;
  CHECK(s1[4] >= 3);  // FFmpeg only checks the digest of servers claiming version >= 3

  // S1 is signed with the server key at the client's schema.
  const size_t s1_offset = digest_offset(s1, schema);
  const Bytes server_signing_key(kServerKey.begin(), kServerKey.begin() + kServerKeyText);
  CHECK(packet_digest(s1, s1_offset, server_signing_key) ==
        Bytes(s1 + s1_offset, s1 + s1_offset + 32));
  // ...and not at the other one: a client trying schemas in order must not stop at a wrong match.
  const size_t other_offset = digest_offset(s1, 1 - schema);
  CHECK(packet_digest(s1, other_offset, server_signing_key) !=
        Bytes(s1 + other_offset, s1 + other_offset + 32));

  // S2 ends with an HMAC keyed by HMAC(full server key, client digest).
  const uint8_t* c1 = c0c1.data() + 1;
  const size_t c1_offset = digest_offset(c1, schema);
  const Bytes s2_key = hmac(kServerKey, c1 + c1_offset, 32);
  CHECK(hmac(s2_key, s2, kPacket - 32) == Bytes(s2 + kPacket - 32, s2 + kPacket));
  CHECK(Bytes(s2, s2 + kPacket) != Bytes(c1, c1 + kPacket));
}

}  // namespace

TEST_CASE("Plain handshake echoes C1 in S2", "[ingest][rtmp][handshake]") {
  const Bytes c0c1 = plain_c0c1(1);
  auto answer = ingest::answer_handshake(c0c1);
  REQUIRE(answer.ok());
  const Bytes& out = answer->s0s1s2;
  REQUIRE(out.size() == 1 + 2 * kPacket);
  CHECK_FALSE(answer->complex);
  CHECK(out[0] == 3);
  CHECK(Bytes(out.begin() + 5, out.begin() + 9) == Bytes{0, 0, 0, 0});
  CHECK(Bytes(out.begin() + 1 + kPacket, out.end()) == Bytes(c0c1.begin() + 1, c0c1.end()));

  // S1 is random: two answers differ past the time field.
  auto again = ingest::answer_handshake(c0c1);
  REQUIRE(again.ok());
  CHECK(Bytes(out.begin() + 9, out.begin() + 1 + kPacket) !=
        Bytes(again->s0s1s2.begin() + 9, again->s0s1s2.begin() + 1 + kPacket));
}

TEST_CASE("Plain handshake with version bytes but no digest stays plain",
          "[ingest][rtmp][handshake]") {
  Bytes c0c1 = plain_c0c1(2);
  c0c1[5] = 9;  // claims a Flash Player version without signing C1
  auto answer = ingest::answer_handshake(c0c1);
  REQUIRE(answer.ok());
  CHECK_FALSE(answer->complex);
  CHECK(Bytes(answer->s0s1s2.begin() + 1 + kPacket, answer->s0s1s2.end()) ==
        Bytes(c0c1.begin() + 1, c0c1.end()));
}

TEST_CASE("Digest handshake answers with signed S1 and S2", "[ingest][rtmp][handshake]") {
  const int schema = GENERATE(0, 1);
  const uint32_t seed = GENERATE(range(10u, 20u));
  INFO("schema " << schema << ", seed " << seed);
  const Bytes c0c1 = complex_c0c1(schema, seed);
  auto answer = ingest::answer_handshake(c0c1);
  REQUIRE(answer.ok());
  check_complex_answer(c0c1, *answer, schema);
}

TEST_CASE("Digest handshake with a corrupted digest falls back to plain",
          "[ingest][rtmp][handshake]") {
  Bytes c0c1 = complex_c0c1(0, 3);
  const size_t offset = digest_offset(c0c1.data() + 1, 0);
  c0c1[1 + offset + 5] ^= 0x01;
  auto answer = ingest::answer_handshake(c0c1);
  REQUIRE(answer.ok());
  CHECK_FALSE(answer->complex);
  CHECK(Bytes(answer->s0s1s2.begin() + 1 + kPacket, answer->s0s1s2.end()) ==
        Bytes(c0c1.begin() + 1, c0c1.end()));
}

TEST_CASE("Handshake refuses other versions and sizes", "[ingest][rtmp][handshake]") {
  Bytes c0c1 = plain_c0c1(4);
  SECTION("RTMPE") {
    c0c1[0] = 6;
    auto answer = ingest::answer_handshake(c0c1);
    REQUIRE_FALSE(answer.ok());
    CHECK_THAT(answer.error().message, Catch::Contains("RTMPE"));
  }
  SECTION("other versions") {
    for (int version : {0, 1, 2, 4, 8, 31, 255}) {
      c0c1[0] = static_cast<uint8_t>(version);
      auto answer = ingest::answer_handshake(c0c1);
      REQUIRE_FALSE(answer.ok());
      CHECK_THAT(answer.error().message,
                 Catch::Contains("unsupported RTMP version " + std::to_string(version)));
    }
  }
  SECTION("wrong length") {
    CHECK_FALSE(ingest::answer_handshake(std::span(c0c1).first(1536)).ok());
    c0c1.push_back(0);
    CHECK_FALSE(ingest::answer_handshake(c0c1).ok());
    CHECK_FALSE(ingest::answer_handshake({}).ok());
  }
}

// ---------------------------------------------------------------------------
// The real client: rtmpdump (librtmp) against answer_handshake over loopback.

namespace {

struct Fd {
  int fd = -1;
  explicit Fd(int value) : fd(value) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Kills and reaps the child however the test ends.
struct Child {
  pid_t pid = -1;
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

using Clock = std::chrono::steady_clock;

bool wait_readable(int fd, Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return false;
  pollfd entry{fd, POLLIN, 0};
  return ::poll(&entry, 1, static_cast<int>(left)) == 1;
}

Bytes read_exact(int fd, size_t size, Clock::time_point deadline) {
  Bytes out(size);
  size_t got = 0;
  while (got < size) {
    REQUIRE(wait_readable(fd, deadline));
    const ssize_t n = ::recv(fd, out.data() + got, size - got, 0);
    REQUIRE(n > 0);
    got += static_cast<size_t>(n);
  }
  return out;
}

void write_all(int fd, const Bytes& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    REQUIRE(n > 0);
    sent += static_cast<size_t>(n);
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Serves one rtmpdump connection up to its `connect` command, which librtmp
// only sends once it has accepted S1 and S2. Returns rtmpdump's log.
std::string serve_rtmpdump(bool digest) {
  Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(listener.fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  REQUIRE(::bind(listener.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(listener.fd, 1) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(listener.fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  const std::string port = std::to_string(ntohs(address.sin_port));

  char log_path[] = "/tmp/looplive-rtmpdump-XXXXXX";
  const int log_fd = ::mkstemp(log_path);
  REQUIRE(log_fd >= 0);
  ::close(log_fd);
  struct Unlink {
    const char* path;
    ~Unlink() { ::unlink(path); }
  } unlink_log{log_path};

  std::vector<std::string> args = {"rtmpdump", "-r",        "rtmp://127.0.0.1:" + port + "/live/x",
                                   "-o",       "/dev/null", "--timeout",
                                   "3",        "-z"};
  if (digest) {
    // SWF verification data is what makes librtmp sign its handshake and check ours.
    args.insert(args.end(), {"--swfhash", std::string(64, 'a'), "--swfsize", "12345"});
  }
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  REQUIRE(posix_spawn_file_actions_init(&actions) == 0);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path, O_WRONLY | O_APPEND, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_path, O_WRONLY | O_APPEND, 0);
  Child child;
  const int spawned =
      ::posix_spawnp(&child.pid, "rtmpdump", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  REQUIRE(spawned == 0);

  const auto deadline = Clock::now() + std::chrono::seconds(20);
  REQUIRE(wait_readable(listener.fd, deadline));
  Fd connection(::accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC));
  REQUIRE(connection.fd >= 0);

  const Bytes c0c1 = read_exact(connection.fd, 1 + kPacket, deadline);
  auto answer = ingest::answer_handshake(c0c1);
  REQUIRE(answer.ok());
  CHECK(answer->complex == digest);
  write_all(connection.fd, answer->s0s1s2);
  const Bytes c2 = read_exact(connection.fd, kPacket, deadline);

  const uint8_t* s1 = answer->s0s1s2.data() + 1;
  if (digest) {
    // librtmp answers a verified S1 with a signature keyed by our S1 digest.
    const size_t offset = digest_offset(s1, 0);
    const Bytes c2_key = hmac(kPlayerKey, s1 + offset, 32);
    CHECK(hmac(c2_key, c2.data(), kPacket - 32) == Bytes(c2.end() - 32, c2.end()));
  } else {
    CHECK(c2 == Bytes(s1, s1 + kPacket));
  }

  // The first message after the handshake is `connect`.
  ingest::ChunkReader reader(1024 * 1024);
  std::vector<ingest::RtmpMessage> messages;
  Bytes pending;
  while (messages.empty()) {
    REQUIRE(wait_readable(connection.fd, deadline));
    uint8_t buffer[4096];
    const ssize_t n = ::recv(connection.fd, buffer, sizeof buffer, 0);
    REQUIRE(n > 0);
    pending.insert(pending.end(), buffer, buffer + n);
    auto consumed = reader.feed(pending, messages);
    REQUIRE(consumed.ok());
    pending.erase(pending.begin(), pending.begin() + static_cast<ptrdiff_t>(*consumed));
  }
  REQUIRE(messages[0].type_id == ingest::msg::kCommandAmf0);
  auto values = ingest::amf0::decode_all(messages[0].payload.span());
  REQUIRE(values.ok());
  REQUIRE(values->size() >= 3);
  CHECK((*values)[0].as_string() == "connect");
  const auto* tc_url = (*values)[2].get("tcUrl");
  REQUIRE(tc_url != nullptr);
  CHECK(tc_url->as_string() == "rtmp://127.0.0.1:" + port + "/live");

  ::shutdown(connection.fd, SHUT_RDWR);
  ::kill(child.pid, SIGTERM);
  ::waitpid(child.pid, nullptr, 0);
  child.pid = -1;
  return read_file(log_path);
}

}  // namespace

TEST_CASE("rtmpdump completes a plain handshake", "[ingest][rtmp][handshake][rtmpdump]") {
  const std::string log = serve_rtmpdump(false);
  INFO(log);
  CHECK_THAT(log, Catch::Contains("Handshaking finished"));
  CHECK_THAT(log, !Catch::Contains("Server not genuine Adobe"));
}

TEST_CASE("rtmpdump accepts the digest handshake", "[ingest][rtmp][handshake][rtmpdump]") {
  const std::string log = serve_rtmpdump(true);
  INFO(log);
  CHECK_THAT(log, Catch::Contains("Genuine Adobe Flash Media Server"));
  CHECK_THAT(log, !Catch::Contains("Couldn't verify the server digest"));
  CHECK_THAT(log, !Catch::Contains("Trying different position for server digest"));
  CHECK_THAT(log, !Catch::Contains("Server not genuine Adobe"));
}
