// The real client: rtmpdump (librtmp) against answer_handshake over loopback.

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "amf0.hpp"
#include "chunk_reader.hpp"
#include "handshake.hpp"
#include "handshake_keys.hpp"
#include "process.hpp"

namespace ingest = looplive::ingest;

using namespace looplive::ingest::test;

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

  looplive::test::ScratchDir scratch("rtmpdump");
  std::vector<std::string> args = {"rtmpdump", "-r",        "rtmp://127.0.0.1:" + port + "/live/x",
                                   "-o",       "/dev/null", "--timeout",
                                   "3",        "-z"};
  if (digest) {
    // SWF verification data is what makes librtmp sign its handshake and check ours.
    args.insert(args.end(), {"--swfhash", std::string(64, 'a'), "--swfsize", "12345"});
  }
  looplive::test::Process rtmpdump(args, (scratch.path() / "rtmpdump.log").string());

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
  rtmpdump.terminate();
  return rtmpdump.output();
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
