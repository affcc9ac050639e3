// The marketplace backend as a separate program would be: a FastAPI receiver
// (tests/backend/receiver.py) takes every webhook over HTTPS, with a
// certificate from a CA made here, and checks each signature itself, while
// backend.py drives create → publish → drop → publish again → tag a product
// → end, and packages a product video, through the control API; a show whose
// disk fills fails its recording. Every event type looplive sends is among
// the deliveries, which are then checked again by the npm standardwebhooks
// package, untouched.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "control_api_harness.hpp"
#include "media_fixture.hpp"
#include "small_disk.hpp"

using namespace looplive;
using namespace looplive::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// Debian's interpreter, with python3-fastapi and python3-uvicorn: the first
// python3 on PATH may be another one without them.
constexpr const char* kPython = "/usr/bin/python3";
constexpr const char* kHookPath = "/looplive/webhooks";

std::string source_path(const std::string& relative) {
  return std::string(LOOPLIVE_SOURCE_DIR) + "/" + relative;
}

void openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string out;
  const int status = run_command(argv, &out, 30s);
  INFO("openssl " << args[0] << ": " << out);
  REQUIRE(status == 0);
}

// A throwaway CA and a certificate it signed for 127.0.0.1 (by IP address,
// as libcurl checks it against the URL's host).
struct TestPki {
  fs::path ca;
  fs::path cert;
  fs::path key;
};

TestPki make_pki(const fs::path& dir) {
  const TestPki pki{dir / "ca.pem", dir / "server.pem", dir / "server.key"};
  const std::string ec = "ec_paramgen_curve:prime256v1";
  openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", ec, "-nodes", "-keyout",
           (dir / "ca.key").string(), "-out", pki.ca.string(), "-days", "1", "-subj",
           "/CN=looplive backend test CA", "-addext", "basicConstraints=critical,CA:TRUE",
           "-addext", "keyUsage=critical,keyCertSign,cRLSign"});
  openssl({"req", "-newkey", "ec", "-pkeyopt", ec, "-nodes", "-keyout", pki.key.string(), "-out",
           (dir / "server.csr").string(), "-subj", "/CN=127.0.0.1"});
  std::ofstream(dir / "server.ext") << "subjectAltName=IP:127.0.0.1\n"
                                       "extendedKeyUsage=serverAuth\n"
                                       "basicConstraints=CA:FALSE\n";
  openssl({"x509", "-req", "-in", (dir / "server.csr").string(), "-CA", pki.ca.string(), "-CAkey",
           (dir / "ca.key").string(), "-CAcreateserial", "-days", "1", "-extfile",
           (dir / "server.ext").string(), "-out", pki.cert.string()});
  return pki;
}

// One line of the receiver's capture file.
struct Capture {
  nlohmann::json line;
  nlohmann::json event;  // the body, parsed
  std::string type;      // the event's, from the body
  std::string subject;   // the stream it is about, or the VOD job
  std::string header(const std::string& name) const {
    return line.at("headers").value(name, std::string());
  }
};

// Every delivery the receiver wrote down, genuine or not, in arrival order.
std::vector<Capture> captured(const fs::path& file) {
  std::vector<Capture> out;
  std::istringstream lines(read_file(file.string()));
  for (std::string line; std::getline(lines, line);) {
    Capture capture{nlohmann::json::parse(line), {}, {}, {}};
    capture.event = nlohmann::json::parse(capture.line.value("body", ""), nullptr, false);
    if (capture.event.is_object()) {
      capture.type = capture.event.value("type", "");
      // A VOD job's events are about the job, named by "id"; the others name a stream.
      capture.subject =
          capture.event.value(capture.type.starts_with("vod.") ? "/data/id"_json_pointer
                                                               : "/data/streamId"_json_pointer,
                              "");
    }
    out.push_back(std::move(capture));
  }
  return out;
}

size_t lines_starting(const std::string& text, const std::string& prefix) {
  size_t count = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(prefix, 0) == 0) ++count;
  return count;
}

// The npm package's verdict on every delivery in a capture file, under the test's secret.
int node_verify(const fs::path& file, std::string* out) {
  return run_command({"/usr/bin/env", std::string("WEBHOOK_SECRET=") + kWebhookSecret, "node",
                      source_path("tests/player/verify-webhooks.mjs"), file.string()},
                     out, 60s);
}

}  // namespace

TEST_CASE("a FastAPI backend gets every webhook over HTTPS, verified, and runs a show",
          "[integration][backend][webhooks]") {
  const auto began = Clock::now();
  ScratchDir dir("backend");
  const TestPki pki = make_pki(dir.path());
  const fs::path capture = dir.path() / "deliveries.jsonl";

  const uint16_t hook_port = free_port();
  const std::string hook_url = "https://127.0.0.1:" + std::to_string(hook_port) + kHookPath;
  Process receiver({"/usr/bin/env", std::string("WEBHOOK_SECRET=") + kWebhookSecret, kPython,
                    source_path("tests/backend/receiver.py"), "--port", std::to_string(hook_port),
                    "--cert", pki.cert.string(), "--key", pki.key.string(), "--capture",
                    capture.string(), "--path", kHookPath},
                   (dir.path() / "receiver.log").string());
  const auto listening_by = Clock::now() + 20s;
  while (!accepts_connections(hook_port) && receiver.running() && Clock::now() < listening_by)
    std::this_thread::sleep_for(50ms);
  INFO("receiver: " << receiver.output());
  REQUIRE(accepts_connections(hook_port));

  // The media root is a filesystem of its own where the machine lets the test
  // mount one (it needs CAP_SYS_ADMIN), so a show can fill it.
  const fs::path media = dir.path() / "media";
  fs::create_directories(media);
  std::string why_not;
  const auto disk = SmallDisk::mount(media, "256m", &why_not);
  if (!disk)
    WARN("no tmpfs could be mounted here (" << why_not << "): recording.failed is not delivered");
  const fs::path import = dir.path() / "import";
  fs::create_directories(import);
  make_upload(import / "product.mp4", 3);
  std::ofstream(import / "empty.mp4").close();  // an upload that never got its bytes

  // Real addresses in every URL the API and the events hand out, as the
  // backend uses them: the RTMP URL to publish to, the playlists to fetch.
  auto config = api_test_config(fresh_database("backend"), media.string(), nullptr);
  config.rtmp.port = free_port();
  config.origin.host = "127.0.0.1";
  config.origin.port = free_port();
  config.api.public_rtmp_url = "rtmp://127.0.0.1:" + std::to_string(config.rtmp.port) + "/live";
  config.api.public_playback_url = "http://127.0.0.1:" + std::to_string(config.origin.port);
  config.webhooks.urls = {hook_url};
  config.webhooks.ca_file = pki.ca.string();
  config.webhooks.tag_aired = true;
  config.vod.import_dir = import.string();
  config.vod.rungs = {{360, 600'000}, {240, 300'000}};
  config.vod.threads = 1;
  config.vod.preset = "ultrafast";
  ApiServer api(config);

  const fs::path report_file = dir.path() / "report.json";
  std::string backend_out;
  const int backend_status =
      run_command({"/usr/bin/env", std::string("LOOPLIVE_API_TOKEN=") + kApiToken, kPython,
                   source_path("tests/backend/backend.py"), "--api",
                   "http://127.0.0.1:" + std::to_string(api.server.api_port()), "--capture",
                   capture.string(), "--report", report_file.string(), "--vod-upload",
                   "product.mp4", "--vod-broken", "empty.mp4"},
                  &backend_out, 240s);
  INFO("backend: " << backend_out);
  REQUIRE(backend_status == 0);
  const auto report = nlohmann::json::parse(read_file(report_file.string()));
  const std::string stream_id = report["streamId"];
  std::set<std::string> subjects{stream_id};
  for (const auto& job : report["vodJobs"]) subjects.insert(job.get<std::string>());
  REQUIRE(subjects.size() == 3);

  // A seller's encoder left on after the show: refused, and the backend told.
  const std::string publish_url = report["created"]["rtmpUrl"].get<std::string>() + "/" +
                                  report["created"]["streamKey"].get<std::string>();
  std::string refused_out;
  const int refused =
      run_command(ffmpeg_publish(h264_aac_fixture().path, publish_url), &refused_out, 30s);
  INFO("refused publisher: " << refused_out);
  CHECK(refused != 0);
  const auto rejected_by = Clock::now() + 10s;
  const auto has_rejection = [&] {
    for (const auto& delivery : captured(capture))
      if (delivery.type == "publish.rejected") return true;
    return false;
  };
  while (!has_rejection() && Clock::now() < rejected_by) std::this_thread::sleep_for(50ms);

  // A show whose disk fills: it goes on for viewers, its recording fails,
  // and the backend is told when it ends.
  if (disk) {
    const auto created = api.call(bhttp::verb::post, "/v1/streams", R"({"record":true})");
    REQUIRE(created.status == 201);
    const std::string failing = created.json()["streamId"];
    subjects.insert(failing);
    disk->fill(256 * 1024);
    Process seller(ffmpeg_publish(long_h264_aac_fixture().path,
                                  api.publish_url(created.json()["streamKey"].get<std::string>())),
                   (dir.path() / "seller.log").string());
    REQUIRE(api.wait_live(failing, true, 20s));
    const auto full_by = Clock::now() + 30s;
    while (disk->free_bytes() > 64 * 1024 && Clock::now() < full_by)
      std::this_thread::sleep_for(200ms);
    CHECK(disk->free_bytes() <= 64 * 1024);
    REQUIRE(api.call(bhttp::verb::post, "/v1/streams/" + failing + "/end").status == 200);
    const auto failed_by = Clock::now() + 20s;
    const auto has_failure = [&] {
      for (const auto& delivery : captured(capture))
        if (delivery.type == "recording.failed" && delivery.line["verified"] == true) return true;
      return false;
    };
    while (!has_failure() && Clock::now() < failed_by) std::this_thread::sleep_for(50ms);
    seller.terminate();
  }

  // Every delivery: over HTTPS to the configured path, verified by the
  // receiver, answered 2xx, about this stream, and byte for byte what
  // looplive signed (both signatures checked again with its own functions).
  const auto genuine = captured(capture);
  std::map<std::string, std::set<std::string>> ids_by_type;
  for (const auto& delivery : genuine) {
    INFO(delivery.line.dump());
    CHECK(delivery.line["scheme"] == "https");
    CHECK(delivery.line["path"] == kHookPath);
    CHECK(delivery.line["verified"] == true);
    CHECK(delivery.line["status"] == 204);
    CHECK(subjects.contains(delivery.subject));
    CHECK(delivery.header("x-looplive-event") == delivery.type);
    const ReceivedHook hook{Clock::now(),
                            delivery.header("x-looplive-event"),
                            delivery.header("x-looplive-timestamp"),
                            delivery.header("x-looplive-signature"),
                            delivery.line.value("body", ""),
                            delivery.header("webhook-id"),
                            delivery.header("webhook-timestamp"),
                            delivery.header("webhook-signature")};
    CHECK(hook.signature_valid());
    ids_by_type[delivery.type].insert(delivery.header("webhook-id"));
  }
  // Live, a dropped connection, live again, a product tagged, ended while
  // live, the ended key refused, a product video packaged and a broken one
  // refused; and the show on a full disk: live, ended, its recording failed.
  std::map<std::string, size_t> expected{
      {"stream.live", 2},     {"stream.reconnecting", 1}, {"tag.aired", 1}, {"stream.ended", 1},
      {"recording.ready", 1}, {"publish.rejected", 1},    {"vod.ready", 1}, {"vod.failed", 1}};
  if (disk) {
    expected["stream.live"] += 1;
    expected["stream.ended"] += 1;
    expected["recording.failed"] = 1;
  }
  std::map<std::string, size_t> events;
  for (const auto& [type, ids] : ids_by_type) events[type] = ids.size();
  CHECK(events == expected);
  std::string rejection;
  for (const auto& delivery : genuine) {
    if (delivery.type != "publish.rejected") continue;
    rejection = delivery.event.value("/data/reason"_json_pointer, "");
    CHECK(delivery.event.value("/data/status"_json_pointer, "") == "ended");
    CHECK(rejection == "stream ended");
  }

  // looplive's side: every attempt went through TLS and was delivered the first time.
  const std::string metrics = api.call(bhttp::verb::get, "/metrics").body;
  INFO(metrics);
  CHECK(metrics.find("looplive_webhook_deliveries_total{result=\"delivered\"} " +
                     std::to_string(genuine.size()) + "\n") != std::string::npos);
  CHECK(metrics.find("looplive_webhook_deliveries_total{result=\"failed\"} 0\n") !=
        std::string::npos);

  // The unmodified npm package accepts each of them.
  std::string node_out;
  const int node_status = node_verify(capture, &node_out);
  INFO("node: " << node_out);
  CHECK(node_status == 0);
  CHECK(lines_starting(node_out, "ok ") == genuine.size());
  CHECK(lines_starting(node_out, "FAIL") == 0);

  // Neither check passes everything: a delivery re-signed under another
  // secret, and one whose body was changed under looplive's own signature,
  // are refused by the receiver and by the package alike.
  std::string forge_out;
  const int forge_status =
      run_command({kPython, source_path("tests/backend/forge.py"), "--url", hook_url, "--ca",
                   pki.ca.string(), "--capture", capture.string()},
                  &forge_out, 30s);
  INFO("forge: " << forge_out);
  CHECK(forge_status == 0);
  CHECK(forge_out.find("wrong-secret 401\n") != std::string::npos);
  CHECK(forge_out.find("tampered-body 401\n") != std::string::npos);
  const auto all = captured(capture);
  REQUIRE(all.size() == genuine.size() + 2);
  for (size_t i = genuine.size(); i < all.size(); ++i) {
    CHECK(all[i].line["verified"] == false);
    CHECK(all[i].line["status"] == 401);
  }
  std::string forged_out;
  const int forged_status = node_verify(capture, &forged_out);
  INFO("node: " << forged_out);
  CHECK(forged_status != 0);
  CHECK(lines_starting(forged_out, "ok ") == genuine.size());
  for (size_t line = genuine.size() + 1; line <= all.size(); ++line)
    CHECK(forged_out.find("\nFAIL " + std::to_string(line) + " ") != std::string::npos);

  std::printf("backend test: %zu deliveries over HTTPS in %.1f s (publish.rejected: %s)\n",
              genuine.size(), std::chrono::duration<double>(Clock::now() - began).count(),
              rejection.c_str());
}
