// Every example in docs/api.md, sent to the real server in the order the page
// shows them: each answer must have the documented status, headers and at
// least the documented JSON fields. Values learned from answers (the stream's
// id and keys) replace the page's sample values in later requests. Every
// request, answer and webhook of that walk is then checked against
// docs/openapi.yaml, which must also pass the OpenAPI linter.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "control_api_harness.hpp"
#include "media_fixture.hpp"

using namespace looplive;
using namespace looplive::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kDocToken = "example-token-0123456789";

struct Message {
  std::string start_line;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::vector<std::string> directives;  // <!-- doc-test: ... --> lines before it
};

std::vector<Message> http_blocks(const std::string& path) {
  std::ifstream file(path);
  std::vector<Message> blocks;
  std::vector<std::string> directives;
  const std::regex directive(R"(^<!-- doc-test: (.+) -->$)");
  std::smatch match;
  for (std::string line; std::getline(file, line);) {
    if (std::regex_match(line, match, directive)) directives.push_back(match[1]);
    if (line != "```http") continue;
    Message message;
    message.directives = std::move(directives);
    directives.clear();
    bool in_body = false;
    while (std::getline(file, line) && line != "```") {
      if (message.start_line.empty()) {
        message.start_line = line;
      } else if (in_body) {
        message.body += line + "\n";
      } else if (line.empty()) {
        in_body = true;
      } else {
        const auto colon = line.find(": ");
        message.headers.emplace_back(line.substr(0, colon), line.substr(colon + 2));
      }
    }
    blocks.push_back(std::move(message));
  }
  return blocks;
}

std::string substituted(std::string text, const std::map<std::string, std::string>& values) {
  for (const auto& [sample, real] : values)
    for (auto at = text.find(sample); at != std::string::npos;
         at = text.find(sample, at + real.size()))
      text.replace(at, sample.size(), real);
  return text;
}

// What was sent and answered, for the OpenAPI check.
nlohmann::json exchange_json(const bhttp::request<bhttp::string_body>& request,
                             const HttpAnswer& answer) {
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& field : answer.headers) headers[field.name_string()] = field.value();
  return {{"method", request.method_string()},
          {"target", request.target()},
          {"requestContentType", request[bhttp::field::content_type]},
          {"requestBody", request.body()},
          {"status", answer.status},
          {"responseHeaders", headers},
          {"responseBody", answer.body}};
}

HttpAnswer send(uint16_t port, const Message& request,
                const std::map<std::string, std::string>& values, nlohmann::json& exchanges) {
  std::istringstream line(substituted(request.start_line, values));
  std::string method, target;
  line >> method >> target;
  net::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(60s);
  stream.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  bhttp::request<bhttp::string_body> message(bhttp::string_to_verb(method), target, 11);
  message.set(bhttp::field::host, "127.0.0.1");
  for (const auto& [name, value] : request.headers) message.set(name, substituted(value, values));
  message.body() = substituted(request.body, values);
  while (!message.body().empty() && message.body().back() == '\n') message.body().pop_back();
  message.prepare_payload();
  bhttp::write(stream, message);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> response;
  bhttp::read(stream, buffer, response);
  HttpAnswer answer;
  answer.status = static_cast<int>(response.result_int());
  for (const auto& field : response) answer.headers.set(field.name_string(), field.value());
  answer.body = response.body();
  exchanges.push_back(exchange_json(message, answer));
  return answer;
}

nlohmann::json webhook_json(const ReceivedHook& hook) {
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [name, value] : hook.headers) headers[name] = value;
  return {{"headers", headers}, {"body", hook.body}};
}

const std::string kOpenApi = std::string(LOOPLIVE_SOURCE_DIR) + "/docs/openapi.yaml";

// docs/openapi.yaml against what `exchanges` recorded; the checker's exit
// status, with what it printed in `report`.
int openapi_check(const nlohmann::json& exchanges, const std::string& dir, std::string& report) {
  const std::string path = dir + "/exchanges.json";
  std::ofstream(path) << exchanges.dump(2);
  return run_command(
      {"/usr/bin/python3", std::string(LOOPLIVE_SOURCE_DIR) + "/tests/support/openapi_check.py",
       kOpenApi, path},
      &report, 60s);
}

// Every documented field is there; nested objects are compared the same way,
// arrays by their first elements.
void check_fields(const nlohmann::json& documented, const nlohmann::json& actual,
                  const std::string& where) {
  if (!documented.is_object() || !actual.is_object()) return;
  for (const auto& [name, value] : documented.items()) {
    INFO(where + "." + name);
    REQUIRE(actual.contains(name));
    const auto& other = actual[name];
    if (value.is_object()) check_fields(value, other, where + "." + name);
    if (value.is_array() && !value.empty() && other.is_array() && !other.empty())
      check_fields(value[0], other[0], where + "." + name + "[0]");
  }
}

void check_answer(const Message& documented, const HttpAnswer& actual,
                  const std::map<std::string, std::string>& values) {
  INFO(documented.start_line << "\nactual body: " << actual.body);
  CHECK(std::to_string(actual.status) == documented.start_line.substr(9, 3));
  for (const auto& [name, value] : documented.headers)
    CHECK(std::string(actual.headers[name]) == substituted(value, values));
  if (documented.body.empty()) return;
  if (documented.body.starts_with("{")) {
    const auto expected = nlohmann::json::parse(documented.body, nullptr, false);
    REQUIRE_FALSE(expected.is_discarded());  // the page's JSON itself must be valid
    const auto json = actual.json();
    REQUIRE(json.is_object());
    check_fields(expected, json, "$");
    if (expected.contains("status")) CHECK(json["status"] == expected["status"]);
    if (expected.contains("error") && expected["error"].is_object())
      CHECK(json["error"]["code"] == expected["error"]["code"]);
    return;
  }
  std::istringstream lines(documented.body);
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with("# TYPE ")) CHECK(actual.body.find(line + "\n") != std::string::npos);
}

// Sample values in the page mapped to what the server really answered.
void learn(const Message& documented, const HttpAnswer& actual,
           std::map<std::string, std::string>& values) {
  if (!documented.body.starts_with("{")) return;
  const auto expected = nlohmann::json::parse(documented.body, nullptr, false);
  const auto json = actual.json();
  for (const char* field : {"streamId", "streamKey", "id"}) {
    if (expected.contains(field) && json.contains(field) && expected[field].is_string() &&
        json[field].is_string())
      values[expected[field]] = json[field];
  }
}

}  // namespace

TEST_CASE("every example in docs/api.md is what the server answers", "[integration][docs]") {
  const auto blocks = http_blocks(std::string(LOOPLIVE_SOURCE_DIR) + "/docs/api.md");
  REQUIRE(blocks.size() >= 30);
  const std::string media = make_scratch_dir("media");
  auto config = api_test_config(fresh_database("api_docs"), media, nullptr);
  config.api.tokens = {kDocToken};
  const std::string import = make_scratch_dir("import");
  config.vod.import_dir = import;
  config.vod.threads = 1;
  WebhookReceiver hooks;
  config.webhooks.urls = {hooks.url()};
  config.webhooks.tag_aired = true;  // the walk's tags: their webhooks are checked too
  ApiServer api(config);
  nlohmann::json exchanges = nlohmann::json::array();
  std::map<std::string, std::string> values;
  std::unique_ptr<Process> publisher;
  size_t examples = 0;

  for (size_t i = 0; i + 1 < blocks.size(); i += 2) {
    const Message& request = blocks[i];
    const Message& response = blocks[i + 1];
    REQUIRE_FALSE(request.start_line.starts_with("HTTP/"));
    REQUIRE(response.start_line.starts_with("HTTP/1.1 "));
    const std::string stream_id = substituted("ab546c68-9163-421e-95a3-69e091d505ee", values);
    for (const auto& directive : request.directives) {
      if (directive == "publish") {
        const std::string key =
            substituted("sk_Xh03cfVxXR_kqDfkYTCZiDc6EXdt9qnLeBCWMknDi4Q", values);
        publisher = std::make_unique<Process>(
            ffmpeg_publish(long_h264_aac_fixture().path, api.publish_url(key)),
            make_scratch_dir("ffmpeg") + "/out.log");
        REQUIRE(api.wait_live(stream_id, true, 20s));
        std::this_thread::sleep_for(4500ms);  // figures for a few intervals and two keyframes
      } else if (directive.starts_with("upload ")) {
        // The page's upload: an MP4 of the fixture, where the import folder has it.
        const std::filesystem::path path = import + "/" + directive.substr(7);
        std::filesystem::create_directories(path.parent_path());
        REQUIRE(run_command({"ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i",
                             h264_aac_fixture().path, "-c", "copy", path.string()}) == 0);
      } else if (directive == "wait vod ready") {
        const std::string job = substituted("5b1f4c2e-7d3a-4f0b-9a61-2c8e0d4b7f13", values);
        const auto deadline = Clock::now() + 120s;
        std::string state;
        while (Clock::now() < deadline && state != "ready" && state != "failed") {
          state = api.call(bhttp::verb::get, "/v1/vod/jobs/" + job, "", kDocToken)
                      .json()
                      .value("state", "");
          std::this_thread::sleep_for(50ms);
        }
        REQUIRE(state == "ready");
      } else if (directive.starts_with("wait ")) {
        REQUIRE(api.wait_status(stream_id, directive.substr(5), 10s));
      } else {
        FAIL("unknown directive " << directive);
      }
    }
    const HttpAnswer actual = send(api.server.api_port(), request, values, exchanges);
    learn(response, actual, values);
    check_answer(response, actual, values);
    ++examples;
  }
  CHECK(examples == blocks.size() / 2);
  if (publisher) publisher->terminate();

  // The walk publishes, force-rotates the key, ends and deletes a recorded stream.
  const std::string stream_id = substituted("ab546c68-9163-421e-95a3-69e091d505ee", values);
  for (const char* type :
       {"stream.live", "stream.reconnecting", "stream.ended", "recording.ready", "tag.aired"})
    CHECK(hooks.wait_for(stream_id, type, 20s));
  // And a VOD job: its vod.ready, checked against the document with the rest.
  const auto vod_ready = [&hooks] {
    for (const auto& hook : hooks.received())
      if (hook.type == "vod.ready") return true;
    return false;
  };
  const auto hook_deadline = Clock::now() + 20s;
  while (Clock::now() < hook_deadline && !vod_ready()) std::this_thread::sleep_for(20ms);
  CHECK(vod_ready());
  nlohmann::json webhooks = nlohmann::json::array();
  for (const auto& hook : hooks.received()) webhooks.push_back(webhook_json(hook));
  std::string report;
  const int status = openapi_check(
      {{"requests", exchanges}, {"webhooks", webhooks}, {"requireAllOperations", true}}, media,
      report);
  INFO(report);
  CHECK(status == 0);
  CHECK(report.find("checked " + std::to_string(exchanges.size()) + " exchanges") == 0);
  std::filesystem::remove_all(media);
  std::filesystem::remove_all(import);
}

TEST_CASE("docs/openapi.yaml passes the OpenAPI linter", "[integration][docs]") {
  const std::string player = std::string(LOOPLIVE_SOURCE_DIR) + "/tests/player";
  std::string output;
  // No telemetry or update check: the test machine reaches no network.
  const int status =
      run_command({"env", "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true",
                   player + "/node_modules/.bin/redocly", "lint", "--format=stylish", "--config",
                   std::string(LOOPLIVE_SOURCE_DIR) + "/docs/redocly.yaml", kOpenApi},
                  &output, 120s);
  INFO(output);
  CHECK(status == 0);
  CHECK(output.find("Your API description is valid") != std::string::npos);
}

TEST_CASE("the OpenAPI check finds answers and webhooks that differ from the document",
          "[integration][docs]") {
  ScratchDir dir("openapi");
  const nlohmann::json stream_answer = {
      {"method", "GET"},
      {"target", "/v1/streams/ab546c68-9163-421e-95a3-69e091d505ee"},
      {"status", 200},
      {"responseHeaders", {{"Content-Type", "application/json"}}},
      {"responseBody", R"({"streamId": "ab546c68-9163-421e-95a3-69e091d505ee", "status": "live",
                           "colour": "red"})"}};
  const nlohmann::json undocumented_status = {{"method", "POST"},
                                              {"target", "/v1/streams"},
                                              {"requestContentType", "application/json"},
                                              {"requestBody", R"({"record": true})"},
                                              {"status", 202},
                                              {"responseHeaders", nlohmann::json::object()},
                                              {"responseBody", ""}};
  const nlohmann::json webhook = {
      {"headers", {{"Content-Type", "application/json"}}},
      {"body", R"({"id": "5d38174d-ceaa-4c5e-9932-ce5fef38987d", "type": "stream.live",
                  "createdAt": "2025-10-18T07:01:01.412207+00:00", "data": {}})"}};
  std::string report;
  const int status =
      openapi_check({{"requests", {stream_answer, undocumented_status}}, {"webhooks", {webhook}}},
                    dir.path().string(), report);
  INFO(report);
  CHECK(status == 1);
  CHECK(report.find("'colour' was unexpected") != std::string::npos);
  CHECK(report.find("'endedAt' is a required property") != std::string::npos);
  CHECK(report.find("status 202 not documented") != std::string::npos);
  CHECK(report.find("header X-Looplive-Signature missing") != std::string::npos);
  CHECK(report.find("'hlsUrl' is a required property") != std::string::npos);
}
