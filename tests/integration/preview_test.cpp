// The preview page (GET /watch/{id} on the control API) as an operator opens
// it: ffmpeg publishes with keyframes further apart than the segments, and
// headless Chromium plays the stream with hls.js beside the figures and the
// warning the API reports (tests/player/preview.mjs).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "http_client.hpp"
#include "live_server.hpp"
#include "media_fixture.hpp"
#include "player_report.hpp"

using namespace looplive;
using namespace looplive::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kToken = "preview-test-token-0123456789";

}  // namespace

TEST_CASE("the preview page plays a live show with its figures and encoder warning",
          "[integration][player][preview]") {
  // The page's policy and the stream's hlsUrl both name the playback origin,
  // so its port is chosen before the server starts.
  const uint16_t origin_port = free_port();
  LiveServer live([origin_port](app::Config& config) {
    config.api.tokens = {kToken};
    config.origin.port = origin_port;
    config.api.public_playback_url = "http://127.0.0.1:" + std::to_string(origin_port);
  });
  REQUIRE(live.server->origin_port() == origin_port);
  const std::string api = "http://127.0.0.1:" + std::to_string(live.server->api_port());

  // No token is needed for the page, and an id that is not a UUID is no page.
  HttpClient client(live.server->api_port());
  CHECK(client.get("/watch/" + std::string(36, 'x')).status == 404);
  const auto page = client.get("/watch/ab546c68-9163-421e-95a3-69e091d505ee");
  CHECK(page.status == 200);
  CHECK(page.body.find("<video id=\"video\"") != std::string::npos);

  auto stream = live.server->streams().create(std::nullopt, false);
  const std::string id = stream.stream.id;
  std::string dir = make_scratch_dir("preview");
  // Keyframes every 3 s against 2 s segments: the API warns about them. The
  // loop keeps the show live while every visit runs.
  Process publisher(
      {"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-stream_loop", "3", "-i",
       long_gop_h264_aac_fixture().path, "-c", "copy", "-f", "flv", live.rtmp(stream.key)},
      dir + "/publisher.log");
  REQUIRE(live.wait_playable(id));

  std::string output;
  const auto started = std::chrono::steady_clock::now();
  const int status =
      run_command({"node", std::string(LOOPLIVE_SOURCE_DIR) + "/tests/player/preview.mjs", api, id,
                   kToken, "45"},
                  &output, 150s);
  const auto took =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started);
  INFO("preview.mjs (" << took.count() << " s): " << output);
  INFO("publisher: " << publisher.output());
  CHECK(status == 0);
  const auto report = player_report(output);
  REQUIRE(report.is_object());
  // Played by hls.js (which ran, so its integrity digest matched the file),
  // past several playlist reloads, with frames decoded.
  CHECK(report["engine"] == "hls.js");
  CHECK(report["advanced"].get<double>() >= 6);
  CHECK(report["frames"].get<long>() > 0);
  CHECK(report["bitrateFromApi"] == true);
  bool keyframe_warning = false;
  for (const auto& warning : report["warnings"])
    keyframe_warning |= warning["id"] == "keyframe_interval" &&
                        warning["text"].get<std::string>().find("longer than the 2.0 s segments") !=
                            std::string::npos;
  CHECK(keyframe_warning);
  CHECK(report["refused"] == true);
  CHECK(report["asked"] == true);
  CHECK(report["noSuchStream"] == true);
  CHECK(report["tamperedRefused"] == true);
  CHECK(report["fragmentRemoved"] == true);
  CHECK(report["tokenInUrls"] == 0);
  CHECK(report["cspViolations"].empty());
  CHECK(report["offline"].empty());
  REQUIRE(report["hlsJsRequests"].size() >= 1);
  CHECK(report["hlsJsRequests"][0] == "https://cdn.jsdelivr.net/npm/hls.js@1.7.4/dist/hls.min.js");
  // The page's player was counted by the origin like any viewer.
  CHECK(live.server->viewer_figures(id).unique >= 1);
  publisher.terminate();
}
