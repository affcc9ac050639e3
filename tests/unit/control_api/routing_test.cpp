#include <catch2/catch.hpp>

#include "api_fixture.hpp"

using looplive::test::ApiFixture;
namespace bhttp = boost::beast::http;

namespace {

const std::string kId = "ab546c68-9163-421e-95a3-69e091d505ee";

void check_error(const ApiFixture::Answer& answer, int status, const std::string& code) {
  INFO(answer.body);
  CHECK(answer.status == status);
  const auto json = answer.json();
  REQUIRE(json.is_object());
  REQUIRE(json.contains("error"));
  CHECK(json["error"]["code"] == code);
  CHECK(json["error"]["message"].is_string());
  CHECK_FALSE(json["error"]["message"].get<std::string>().empty());
}

}  // namespace

TEST_CASE("unknown paths are 404 and known paths with another method 405", "[control_api]") {
  ApiFixture api;
  check_error(api.request(bhttp::verb::get, "/v1/nothing"), 404, "not_found");
  check_error(api.request(bhttp::verb::get, "/v1/streams/"), 404, "not_found");
  auto answer = api.request(bhttp::verb::put, "/v1/streams");
  check_error(answer, 405, "method_not_allowed");
  CHECK(answer.headers[bhttp::field::allow] == "POST, GET");
  check_error(api.request(bhttp::verb::get, "/v1/streams/" + kId + "/end"), 405,
              "method_not_allowed");
}

TEST_CASE("request bodies are validated before anything is stored", "[control_api]") {
  ApiFixture api;
  check_error(api.request(bhttp::verb::post, "/v1/streams", "{not json"), 400, "bad_request");
  check_error(api.request(bhttp::verb::post, "/v1/streams", "[1, 2]"), 422, "invalid");
  check_error(api.request(bhttp::verb::post, "/v1/streams", "{}"), 422, "invalid");
  check_error(api.request(bhttp::verb::post, "/v1/streams", R"({"record": "yes"})"), 422,
              "invalid");
  check_error(api.request(bhttp::verb::post, "/v1/streams", R"({"record": true, "recrod": 1})"),
              422, "invalid");
  check_error(api.request(bhttp::verb::post, "/v1/streams", R"({"record": true, "id": "42"})"), 422,
              "invalid");
  check_error(api.request(bhttp::verb::post, "/v1/streams", R"({"record": true, "metadata": [1]})"),
              422, "invalid");
  check_error(
      api.request(bhttp::verb::post, "/v1/streams/" + kId + "/key/rotate", R"({"force": 1})"), 422,
      "invalid");
  // Nesting that would take an I/O thread's stack to write back out, and
  // metadata too large to list a hundred to a page.
  const std::string deep = std::string(20000, '[') + std::string(20000, ']');
  check_error(api.request(bhttp::verb::post, "/v1/streams",
                          R"({"record": true, "metadata": {"a": )" + deep + "}}"),
              422, "invalid");
  const std::string nested_33 = std::string(31, '[') + std::string(31, ']');
  check_error(api.request(bhttp::verb::post, "/v1/streams",
                          R"({"record": true, "metadata": {"a": )" + nested_33 + "}}"),
              422, "invalid");
  // 32 levels, and brackets inside strings, pass validation (and reach the database).
  const std::string nested_32 = std::string(30, '[') + std::string(30, ']');
  CHECK(api.request(bhttp::verb::post, "/v1/streams",
                    R"({"record": true, "metadata": {"a": )" + nested_32 + "}}")
            .status != 422);
  CHECK(api.request(bhttp::verb::post, "/v1/streams",
                    R"({"record": true, "metadata": {"a": ")" + std::string(100, '[') + "\"}}")
            .status != 422);
  check_error(
      api.request(bhttp::verb::post, "/v1/streams",
                  R"({"record": true, "metadata": {"a": ")" + std::string(17000, 'x') + "\"}}"),
      422, "invalid");
  check_error(api.request(bhttp::verb::get, "/v1/streams?limit=0"), 422, "invalid");
  check_error(api.request(bhttp::verb::get, "/v1/streams?limit=101"), 422, "invalid");
  check_error(api.request(bhttp::verb::get, "/v1/streams?status=paused"), 422, "invalid");
  check_error(api.request(bhttp::verb::get, "/v1/streams?cursor=bm9wZQ"), 422, "invalid");
}

TEST_CASE("ids that are not UUIDs name no stream", "[control_api]") {
  ApiFixture api;
  check_error(api.request(bhttp::verb::get, "/v1/streams/42"), 404, "not_found");
  check_error(api.request(bhttp::verb::post, "/v1/streams/42/end"), 404, "not_found");
  check_error(api.request(bhttp::verb::delete_, "/v1/streams/..%2F..%2Fetc"), 404, "not_found");
  CHECK(api.ender.ended.empty());
}

TEST_CASE("an unreachable database is 503 and the liveness probe still answers", "[control_api]") {
  ApiFixture api;
  check_error(api.request(bhttp::verb::get, "/v1/streams/" + kId), 503, "unavailable");
  check_error(api.request(bhttp::verb::post, "/v1/streams", R"({"record": false})"), 503,
              "unavailable");
  auto ready = api.request(bhttp::verb::get, "/readyz", "", "");
  check_error(ready, 503, "not_ready");
  CHECK(ready.json()["checks"]["database"] == "unreachable");
  auto alive = api.request(bhttp::verb::get, "/healthz", "", "");
  CHECK(alive.status == 200);
  CHECK(alive.json()["status"] == "ok");
}

TEST_CASE("ending goes through the stream ender", "[control_api]") {
  ApiFixture api;
  check_error(api.request(bhttp::verb::post, "/v1/streams/" + kId + "/end"), 404, "not_found");
  CHECK(api.ender.ended == kId);
}

TEST_CASE("metrics answer without the database, in Prometheus text", "[control_api]") {
  ApiFixture api;
  auto answer = api.request(bhttp::verb::get, "/metrics", "", "");
  CHECK(answer.status == 200);
  CHECK(answer.headers[bhttp::field::content_type].starts_with("text/plain; version=0.0.4"));
  CHECK(answer.body.find("looplive_database_up 0\n") != std::string::npos);
  CHECK(answer.body.find("# TYPE looplive_api_request_duration_seconds histogram") !=
        std::string::npos);
  CHECK(answer.body.find("looplive_api_request_duration_seconds_bucket{le=\"+Inf\"}") !=
        std::string::npos);
  CHECK(answer.body.find("looplive_publishers_live 0\n") != std::string::npos);
}
