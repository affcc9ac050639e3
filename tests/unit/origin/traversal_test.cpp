#include <catch2/catch.hpp>

#include "origin_harness.hpp"

using namespace looplive::origin;
using namespace looplive::origin::test;

namespace {

const std::string kId = kStreamId;
const std::string kLinkedId = "99999999-8888-4777-8666-555555555555";
const std::string kSecret = "SECRET-outside-the-media-root";

bool leaks(const Reply& reply) {
  return reply.body.find("root:") != std::string::npos ||
         reply.body.find(kSecret) != std::string::npos;
}

}  // namespace

TEST_CASE("traversal attempts are all refused while the file beside them is served",
          "[origin][safety]") {
  MediaRoot root;
  MediaRoot outside;
  MapSource source;
  outside.write("secret.m3u8", kSecret);
  outside.write("index.m3u8", kSecret);
  root.write("live/" + kId + "/index.m3u8", "#EXTM3U\n#real\n");
  namespace fs = std::filesystem;
  fs::create_symlink("/etc/passwd", root.path() + "/live/" + kId + "/passwd.m3u8");
  fs::create_symlink(outside.path() + "/secret.m3u8", root.path() + "/live/" + kId + "/leak.m4s");
  fs::create_directories(outside.path() + "/stream");
  outside.write("stream/index.m3u8", kSecret);
  fs::create_directory_symlink(outside.path() + "/stream", root.path() + "/live/" + kLinkedId);
  fs::create_symlink("/etc/passwd", root.path() + "/vods/" + kId + ".m3u8");
  RunningOrigin origin(test_config(root), source);

  const std::string base = "/live/" + kId + "/";
  const std::vector<std::string> attempts = {
      base + "../../../../etc/passwd",
      base + "%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
      base + "%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
      base + "%252e%252e%252f%252e%252e%252fetc%252fpasswd",
      base + "..%5c..%5c..%5cetc%5cpasswd",
      base + "..\\..\\..\\etc\\passwd",
      base + "index.m3u8%00.jpg",
      base + "%00",
      "/live//etc/passwd",
      "//etc/passwd",
      base + "%c0%ae%c0%ae/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
      base + "%c0%af..%c0%afetc%c0%afpasswd",
      base + "./index.m3u8",
      base + ".%2e/.%2e/.%2e/" + "secret.m3u8",
      "/vods/../../etc/passwd",
      "/vods/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
      base + "%2fetc%2fpasswd",
      base + "....//....//etc/passwd",
      base + "..;/..;/etc/passwd",
      base + "index.m3u8/..",
      "/%2e%2e/%2e%2e/etc/passwd",
      base + "%u002e%u002e/passwd",
      "http://origin.test/../../etc/passwd",
      "/live/" + kId + "%2f..%2f..%2f..%2fetc%2fpasswd",
      // Symbolic links: a file to /etc/passwd, a file and a whole stream directory
      // to outside the root, and a VOD name to /etc/passwd.
      base + "passwd.m3u8",
      base + "leak.m4s",
      "/live/" + kLinkedId + "/index.m3u8",
      "/vods/" + kId + ".m3u8",
  };
  for (const auto& target : attempts) {
    INFO(target);
    Reply reply;
    try {
      reply = fetch(origin.port(), target);
    } catch (const std::exception& e) {
      FAIL("no answer: " << e.what());
    }
    CHECK((reply.status == 400 || reply.status == 404));
    CHECK_FALSE(leaks(reply));
  }

  auto real = fetch(origin.port(), base + "index.m3u8");
  CHECK(real.status == 200);
  CHECK(real.body == "#EXTM3U\n#real\n");
}

TEST_CASE("the operator may link live/ and vods/ elsewhere", "[origin][safety]") {
  MediaRoot root;
  MediaRoot elsewhere;
  MapSource source;
  std::filesystem::remove(root.path() + "/live");
  elsewhere.write(kId + "/index.m3u8", "#EXTM3U\n#linked-live\n");
  std::filesystem::create_directory_symlink(elsewhere.path(), root.path() + "/live");
  RunningOrigin origin(test_config(root), source);
  auto reply = fetch(origin.port(), live("index.m3u8"));
  CHECK(reply.status == 200);
  CHECK(reply.body == "#EXTM3U\n#linked-live\n");
}
