// What `cmake --install` and the Debian package put on a machine: the
// binary, the configuration it starts with, and a hardened systemd unit;
// and the package's service, run as its unit runs it, through a reload
// during a live show.
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "control_api_harness.hpp"
#include "http_client.hpp"
#include "media_fixture.hpp"
#include "process.hpp"

using namespace looplive::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

// A command line of the unit (ExecStart= and the like), split at spaces, with
// the package's paths moved under `root`, where the package was unpacked.
std::vector<std::string> unit_command(const std::string& unit, const std::string& key,
                                      const fs::path& root) {
  const std::string prefix = key + "=";
  std::istringstream lines(unit);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(prefix, 0) != 0) continue;
    std::vector<std::string> argv;
    std::istringstream words(line.substr(prefix.size()));
    for (std::string word; words >> word;)
      argv.push_back(word.rfind("/usr/", 0) == 0 || word.rfind("/etc/", 0) == 0
                         ? (root / word.substr(1)).string()
                         : word);
    return argv;
  }
  FAIL("the unit has no " << key << " line");
  return {};
}

// The installed configuration as an operator edits it: its own ports on
// loopback and a media root; everything else as the package ships it.
std::string edited_config(const std::string& installed, uint16_t rtmp, uint16_t origin,
                          uint16_t api, const fs::path& media) {
  std::istringstream lines(installed);
  std::string out;
  std::string section;
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] != ' ' && line[0] != '#') section = line.substr(0, line.find(':'));
    const uint16_t port = section == "rtmp"     ? rtmp
                          : section == "origin" ? origin
                          : section == "api"    ? api
                                                : 0;
    if (port && line.rfind("  host:", 0) == 0)
      line = "  host: 127.0.0.1";
    else if (port && line.rfind("  port:", 0) == 0)
      line = "  port: " + std::to_string(port);
    else if (section == "packager" && line.rfind("  media_root:", 0) == 0)
      line = "  media_root: " + media.string();
    out += line + "\n";
  }
  return out;
}

void write_text(const fs::path& path, const std::string& text) {
  write_bytes(path, std::vector<uint8_t>(text.begin(), text.end()));
}

// The Debian package of this build, made once for every case that reads it.
const fs::path& package() {
  static const ScratchDir out("package");
  static const fs::path deb = [] {
    std::string log;
    const int status = run_command(
        {"cpack", "-G", "DEB", "--config", std::string(LOOPLIVE_BINARY_DIR) + "/CPackConfig.cmake",
         "-B", out.path().string()},
        &log, std::chrono::minutes(5));
    if (status != 0) throw std::runtime_error("cpack: " + log);
    for (const auto& entry : fs::directory_iterator(out.path()))
      if (entry.path().extension() == ".deb") return entry.path();
    throw std::runtime_error("cpack made no .deb: " + log);
  }();
  return deb;
}

// The newest segment's media sequence number in a media playlist, and
// whether the playlist holds a discontinuity; nothing without segments.
struct PlaylistEdge {
  uint64_t newest = 0;
  bool discontinuity = false;
};

std::optional<PlaylistEdge> playlist_edge(const std::string& playlist) {
  std::istringstream lines(playlist);
  std::optional<uint64_t> sequence;
  uint64_t segments = 0;
  bool discontinuity = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("#EXT-X-MEDIA-SEQUENCE:", 0) == 0) sequence = std::stoull(line.substr(22));
    if (line.rfind("#EXT-X-DISCONTINUITY", 0) == 0 && line.find("SEQUENCE") == std::string::npos)
      discontinuity = true;
    if (line.rfind("#EXTINF:", 0) == 0) ++segments;
  }
  if (!sequence || segments == 0) return std::nullopt;
  return PlaylistEdge{*sequence + segments - 1, discontinuity};
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
  CHECK(text.find("ExecStart=/usr/bin/looplive --config /etc/looplive/looplive.yaml --env-file "
                  "/etc/looplive/looplive.env\n") != std::string::npos);
  // Secrets are read by looplive at each reload, not fixed by systemd at start.
  CHECK(text.find("\nEnvironmentFile=") == std::string::npos);
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
  ScratchDir out("package-contents");
  const fs::path& deb = package();
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

// What `dpkg -i` and `systemctl start`, `reload` and `stop` do, short of
// systemd itself (this machine may have none running): the package's files,
// its unit's commands with its configuration and secrets file, SIGHUP by the
// unit's ExecReload= during a publish, SIGTERM as its KillSignal=.
TEST_CASE("the packaged service reloads a rotated token during a live show and drops no segment",
          "[integration][install]") {
  ScratchDir out("packaged-service");
  const fs::path& deb = package();
  const fs::path root = out.path() / "root";
  REQUIRE(run_command({"dpkg-deb", "-x", deb.string(), root.string()}) == 0);
  const std::string unit = read_file((root / "usr/lib/systemd/system/looplive.service").string());

  const uint16_t rtmp = free_port(), origin = free_port(), api = free_port();
  const fs::path config = root / "etc/looplive/looplive.yaml";
  const fs::path secrets = root / "etc/looplive/looplive.env";
  write_text(config,
             edited_config(read_file(config.string()), rtmp, origin, api, out.path() / "media"));
  const std::string database = fresh_database("packaged_service").url;
  const std::string first_token = "first-package-token-0123";
  const std::string second_token = "second-package-token-0123";
  write_text(secrets, "LOOPLIVE_DATABASE_URL=\"" + database +
                          "\"\nLOOPLIVE_API_TOKENS=" + first_token + "\n");

  std::string checked;
  const int check = run_command(unit_command(unit, "ExecStartPre", root), &checked);
  INFO(checked);
  REQUIRE(check == 0);
  Process service(unit_command(unit, "ExecStart", root), (out.path() / "service.log").string());
  const auto up_by = Clock::now() + 30s;
  while (!accepts_connections(api) && service.running() && Clock::now() < up_by)
    std::this_thread::sleep_for(50ms);
  INFO(service.output());
  REQUIRE(accepts_connections(api));

  const auto created =
      http_request(api, bhttp::verb::post, "/v1/streams", R"({"record":false})", first_token);
  REQUIRE(created.status == 201);
  const std::string id = created.json()["streamId"];
  auto publish = ffmpeg_publish(long_h264_aac_fixture().path,
                                "rtmp://127.0.0.1:" + std::to_string(rtmp) + "/live/" +
                                    created.json()["streamKey"].get<std::string>());
  publish.insert(publish.begin() + 6, {"-stream_loop", "3"});  // before -i: about 48 s
  Process publisher(publish, (out.path() / "ffmpeg.log").string());
  HttpClient viewer(origin);
  const auto edge = [&]() -> std::optional<PlaylistEdge> {
    const auto answer = viewer.get("/live/" + id + "/video.m3u8");
    return answer.status == 200 ? playlist_edge(answer.body) : std::nullopt;
  };
  const auto segments_by = Clock::now() + 20s;
  while ((!edge() || edge()->newest < 1) && Clock::now() < segments_by)
    std::this_thread::sleep_for(100ms);
  REQUIRE(edge());
  const uint64_t before = edge()->newest;
  ManifestWatcher watcher(origin, id, {"index.m3u8", "video.m3u8", "audio.m3u8", "manifest.mpd"},
                          50ms);

  // `systemctl reload looplive` after the token was rotated in the secrets file.
  write_text(secrets, "LOOPLIVE_DATABASE_URL=\"" + database +
                          "\"\nLOOPLIVE_API_TOKENS=" + second_token + "\n");
  auto reload = unit_command(unit, "ExecReload", root);
  for (auto& word : reload)
    if (word == "$MAINPID") word = std::to_string(service.pid());
  REQUIRE(run_command(reload) == 0);
  const auto rotated_by = Clock::now() + 10s;
  while (http_request(api, bhttp::verb::get, "/v1/streams/" + id, "", second_token).status != 200 &&
         Clock::now() < rotated_by)
    std::this_thread::sleep_for(50ms);
  CHECK(http_request(api, bhttp::verb::get, "/v1/streams/" + id, "", second_token).status == 200);
  CHECK(http_request(api, bhttp::verb::get, "/v1/streams/" + id, "", first_token).status == 401);
  // Info lines reach a log that is not a terminal within a second.
  const auto logged_by = Clock::now() + 3s;
  while (service.output().find("applied api.tokens") == std::string::npos &&
         Clock::now() < logged_by)
    std::this_thread::sleep_for(50ms);
  CHECK(service.output().find("applied api.tokens") != std::string::npos);

  // The show went on across the reload: two more segments, no break, and
  // every playlist and MPD version a viewer saw was whole and consistent.
  const auto more_by = Clock::now() + 15s;
  while ((!edge() || edge()->newest < before + 2) && Clock::now() < more_by)
    std::this_thread::sleep_for(100ms);
  const auto after = edge();
  REQUIRE(after);
  CHECK(after->newest >= before + 2);
  CHECK_FALSE(after->discontinuity);
  CHECK(publisher.running());
  watcher.stop();
  for (const auto& problem : watcher.problems()) FAIL_CHECK(problem);
  CHECK(watcher.versions("video.m3u8") > 2);

  // `systemctl stop looplive`: SIGTERM, a drain, a clean exit.
  publisher.terminate();
  REQUIRE(::kill(service.pid(), SIGTERM) == 0);
  const auto status = service.wait(90s);
  REQUIRE(status);
  CHECK(*status == 0);
  // Its last lines reach the log (journald, here a file: batched) before it exits.
  CHECK(service.output().find("info [app] looplive stopped") != std::string::npos);
}
