// What `cmake --install` and the Debian package put on a machine: the
// binary, the configuration it starts with, and a hardened systemd unit.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "process.hpp"

using namespace looplive::test;
namespace fs = std::filesystem;

namespace {

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

}  // namespace

TEST_CASE("cmake --install lays out the binary, its configuration and a hardened unit",
          "[integration][install]") {
  ScratchDir root("install");
  std::string out;
  REQUIRE(run_command(
              {"env", "DESTDIR=" + root.path().string(), "cmake", "--install", LOOPLIVE_BINARY_DIR},
              &out) == 0);
  INFO(out);
  const fs::path binary = root.path() / "usr/bin/looplive";
  const fs::path config = root.path() / "etc/looplive/looplive.yaml";
  const fs::path unit = root.path() / "usr/lib/systemd/system/looplive.service";
  REQUIRE(fs::exists(binary));
  REQUIRE(fs::exists(config));
  REQUIRE(fs::exists(unit));
  CHECK(fs::exists(root.path() / "etc/looplive/looplive.env"));
  CHECK(fs::exists(root.path() / "usr/share/doc/looplive/README.md"));

  // The installed configuration is valid as it is, with its media under the state directory.
  const std::string yaml = read_file(config.string());
  CHECK(yaml.find("media_root: /var/lib/looplive/media\n") != std::string::npos);
  std::string checked;
  CHECK(run_command({binary.string(), "--check-config", config.string()}, &checked) == 0);
  CHECK(checked.find(": ok") != std::string::npos);
  std::string version;
  CHECK(run_command({binary.string(), "--version"}, &version) == 0);
  CHECK(version.find("FFmpeg") != std::string::npos);

  // systemd accepts the unit (pointed at the binary where this test put it)
  // and rates its exposure at 2.0 or below on its 0-10 scale.
  const std::string text = read_file(unit.string());
  CHECK(text.find("ExecStart=/usr/bin/looplive --config /etc/looplive/looplive.yaml\n") !=
        std::string::npos);
  CHECK(text.find("ExecReload=/bin/kill -HUP $MAINPID\n") != std::string::npos);
  for (const char* line : {"User=looplive\n", "ProtectSystem=strict\n", "NoNewPrivileges=yes\n",
                           "ReadWritePaths=/var/lib/looplive\n", "LimitNOFILE=1048576\n"}) {
    INFO(line);
    CHECK(text.find(line) != std::string::npos);
  }
  const fs::path here = root.path() / "looplive.service";
  write_bytes(here, [&] {
    const std::string moved = replaced(text, "/usr/bin/looplive", binary.string());
    return std::vector<uint8_t>(moved.begin(), moved.end());
  }());
  std::string verified;
  const int verify = run_command({"systemd-analyze", "verify", here.string()}, &verified);
  INFO(verified);
  CHECK(verify == 0);
  CHECK(verified.empty());
  std::string security;
  const int exposure = run_command(
      {"systemd-analyze", "security", "--offline=true", "--threshold=20", here.string()},
      &security);
  INFO(security.substr(security.rfind("Overall") == std::string::npos ? 0
                                                                      : security.rfind("Overall")));
  CHECK(exposure == 0);
}

TEST_CASE("the Debian package holds the install and names its libraries",
          "[integration][install]") {
  ScratchDir out("package");
  std::string log;
  REQUIRE(run_command(
              {"cpack", "-G", "DEB", "--config",
               std::string(LOOPLIVE_BINARY_DIR) + "/CPackConfig.cmake", "-B", out.path().string()},
              &log, std::chrono::minutes(5)) == 0);
  INFO(log);
  fs::path deb;
  for (const auto& entry : fs::directory_iterator(out.path()))
    if (entry.path().extension() == ".deb") deb = entry.path();
  REQUIRE_FALSE(deb.empty());
  std::string contents;
  REQUIRE(run_command({"dpkg-deb", "--contents", deb.string()}, &contents) == 0);
  for (const char* path :
       {"./usr/bin/looplive", "./etc/looplive/looplive.yaml", "./etc/looplive/looplive.env",
        "./usr/lib/systemd/system/looplive.service"}) {
    INFO(path);
    CHECK(contents.find(path) != std::string::npos);
  }
  std::string depends;
  REQUIRE(run_command({"dpkg-deb", "--field", deb.string(), "Depends"}, &depends) == 0);
  INFO(depends);
  for (const char* library : {"libavformat59", "libpqxx-6.4", "libcurl4", "adduser"}) {
    INFO(library);
    CHECK(depends.find(library) != std::string::npos);
  }
  const fs::path control = out.path() / "control";
  REQUIRE(run_command({"dpkg-deb", "--control", deb.string(), control.string()}) == 0);
  CHECK(read_file((control / "conffiles").string()) ==
        "/etc/looplive/looplive.yaml\n/etc/looplive/looplive.env\n");
  CHECK(fs::exists(control / "postinst"));
  CHECK((fs::status(control / "postinst").permissions() & fs::perms::owner_exec) !=
        fs::perms::none);
}
