// LL-HLS viewers behind Varnish, configured as docs/cdn/varnish.vcl says:
// viewers waiting for the same part ask the same URL, the cache collapses
// them, and about one request per object reaches the origin.
#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include "http_client.hpp"
#include "live_server.hpp"
#include "looplive/origin/origin_service.hpp"
#include "manifest_checker.hpp"

using namespace looplive;
using namespace looplive::test;
using namespace std::chrono_literals;

namespace {

// Successful playlist and segment answers the origin has given so far.
uint64_t origin_answers(const app::Server& server) {
  std::istringstream metrics(server.origin()->metrics_text());
  uint64_t total = 0;
  for (std::string line; std::getline(metrics, line);) {
    const bool counted = line.starts_with("looplive_origin_requests_total{") &&
                         line.find("code=\"2xx\"") != std::string::npos &&
                         (line.find("route=\"playlist\"") != std::string::npos ||
                          line.find("route=\"segment\"") != std::string::npos);
    if (counted) total += std::stoull(line.substr(line.rfind(' ') + 1));
  }
  return total;
}

// varnishd in the foreground on a free port, with the documented VCL pointed at the origin.
std::unique_ptr<Process> start_varnish(uint16_t origin_port, uint16_t port) {
  const std::string dir = make_scratch_dir("varnish");
  std::string vcl = read_file(std::string(LOOPLIVE_SOURCE_DIR) + "/docs/cdn/varnish.vcl");
  const std::string backend_port = ".port = \"8080\"";
  REQUIRE(vcl.find(backend_port) != std::string::npos);
  vcl.replace(vcl.find(backend_port), backend_port.size(),
              ".port = \"" + std::to_string(origin_port) + "\"");
  std::ofstream(dir + "/looplive.vcl") << vcl;
  return std::make_unique<Process>(
      std::vector<std::string>{"varnishd", "-F", "-j", "none", "-n", dir + "/work", "-a",
                               "127.0.0.1:" + std::to_string(port), "-f", dir + "/looplive.vcl",
                               "-s", "malloc,64m"},
      dir + "/varnishd.log");
}

}  // namespace

TEST_CASE("behind Varnish, LL-HLS viewers of one show cost the origin about one request per object",
          "[integration][origin][cdn][llhls]") {
  LiveServer live;
  auto stream = live.server->streams().create(std::nullopt, false);
  const std::string base = "/live/" + stream.stream.id + "/";
  Process publisher(ffmpeg_publish(long_h264_aac_fixture().path, live.rtmp(stream.key)),
                    make_scratch_dir("cdn") + "/publisher.log");
  REQUIRE(live.wait_playable(stream.stream.id));
  const uint16_t port = free_port();
  auto varnish = start_varnish(live.server->origin_port(), port);
  HttpClient probe(port);
  bool up = false;
  for (int i = 0; i < 100 && !up; ++i) {
    up = probe.get(base + "video.m3u8").status == 200;
    if (!up) std::this_thread::sleep_for(100ms);
  }
  INFO(varnish->output());
  REQUIRE(up);

  constexpr int kViewers = 40;
  std::mutex mutex;
  std::set<std::string> urls;
  ManifestChecker checker;
  std::atomic<uint64_t> requests{0};
  std::atomic<int> failures{0};
  const uint64_t before = origin_answers(*live.server);
  const auto until = std::chrono::steady_clock::now() + 6s;
  std::vector<std::thread> viewers;
  for (int v = 0; v < kViewers; ++v) {
    viewers.emplace_back([&] {
      HttpClient client(port);
      const auto get = [&](const std::string& file) {
        HttpReply reply = client.get(base + file);
        ++requests;
        std::lock_guard lock(mutex);
        urls.insert(file);
        return reply;
      };
      HttpReply playlist = get("video.m3u8");
      while (std::chrono::steady_clock::now() < until && playlist.status == 200) {
        const auto hint = preload_hint(playlist.body);
        if (!hint) break;
        if (get(hint->uri).status != 200) ++failures;
        playlist = get("video.m3u8?_HLS_msn=" + std::to_string(hint->msn) +
                       "&_HLS_part=" + std::to_string(hint->part));
        std::lock_guard lock(mutex);
        checker.feed_blocking("video.m3u8", hint->msn, hint->part, playlist.status, playlist.body);
      }
      if (playlist.status != 200) ++failures;
    });
  }
  for (auto& viewer : viewers) viewer.join();
  const uint64_t reached = origin_answers(*live.server) - before;
  INFO(requests.load() << " viewer requests, " << urls.size() << " distinct URLs, " << reached
                       << " reached the origin");
  CHECK(failures == 0);
  CHECK(urls.size() >= 20);  // the show moved on by a dozen parts or more
  // One request per object, give or take the plain playlist each viewer
  // opened with (cached for one second).
  CHECK(reached <= urls.size() + 3);
  CHECK(requests >= 10 * reached);
  for (const auto& problem : checker.problems()) FAIL_CHECK(problem);
  varnish->terminate();
  publisher.terminate();
}
