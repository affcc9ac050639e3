#include <catch2/catch.hpp>

#include <cstdlib>

#include "looplive/control_api/webhooks.hpp"
#include "tls_receiver.hpp"
#include "webhook_client.hpp"

using namespace looplive::control_api;
using namespace std::chrono_literals;

TEST_CASE("signatures are HMAC-SHA256 over timestamp, dot and body", "[control_api][webhooks]") {
  // Python: hmac.new(b"whsec_test", b'1700000000.{"id":"e1","type":"stream.live"}',
  //                  hashlib.sha256).hexdigest()
  CHECK(webhook_signature("whsec_test", "1700000000", R"({"id":"e1","type":"stream.live"})") ==
        "sha256=de0c0125c7fe781443f3a1d37a8fe5057e28115c73a44b04add808e5188294a2");
  CHECK(webhook_signature("other", "1700000000", "{}") !=
        webhook_signature("whsec_test", "1700000000", "{}"));
}

TEST_CASE("Standard Webhooks signatures match the specification's example",
          "[control_api][webhooks]") {
  // The example of the Standard Webhooks specification (and of its libraries' tests).
  CHECK(standard_webhook_signature(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
            R"({"test": 2432232314})") == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  // Without the prefix the libraries read the same key.
  CHECK(standard_webhook_signature(
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
            R"({"test": 2432232314})") == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  // A secret that is not base64 cannot be such a key.
  CHECK(standard_webhook_signature("whsec_test!", "m", "1", "{}").empty());
}

TEST_CASE("retries back off exponentially up to the cap", "[control_api][webhooks]") {
  looplive::control_api::WebhookConfig config;  // 1 s doubling, capped at 10 min
  CHECK(webhook_backoff(config, 1) == 1s);
  CHECK(webhook_backoff(config, 2) == 2s);
  CHECK(webhook_backoff(config, 10) == 512s);
  CHECK(webhook_backoff(config, 11) == 600s);
  CHECK(webhook_backoff(config, 15) == 600s);
  CHECK(webhook_backoff(config, 1000) == 600s);
  // The documented schedule: the last (16th) attempt comes 4023 s after the first.
  std::chrono::milliseconds total{0};
  for (int attempt = 1; attempt < static_cast<int>(config.max_attempts); ++attempt)
    total += webhook_backoff(config, attempt);
  CHECK(total == 4023s);
}

TEST_CASE("http and https URLs with a host are sent to", "[control_api][webhooks]") {
  CHECK(is_webhook_url("http://backend.internal:8000/hooks/looplive?x=1"));
  CHECK(is_webhook_url("http://127.0.0.1"));
  CHECK(is_webhook_url("http://[::1]:9000/h"));
  CHECK(is_webhook_url("https://hooks.example.com/h"));
  CHECK(is_webhook_url("https://hooks.example.com?x=1"));
  CHECK_FALSE(is_webhook_url("ftp://x/h"));
  CHECK_FALSE(is_webhook_url("http://user@x/h"));
  CHECK_FALSE(is_webhook_url("http://:80/h"));
  CHECK_FALSE(is_webhook_url("http://x:port/h"));
  CHECK_FALSE(is_webhook_url("http://[::1/h"));
  CHECK_FALSE(is_webhook_url("https://"));
}

TEST_CASE("a webhook event is one row per receiver, sharing id and body",
          "[control_api][webhooks]") {
  looplive::control_api::WebhookConfig config;
  config.urls = {"http://a/hook", "http://b/hook"};
  config.secret = "s";
  // The dispatcher is never started: building rows needs no database.
  looplive::db::Database database(looplive::db::DatabaseConfig{});
  looplive::db::WebhookQueue queue(database);
  WebhookDispatcher dispatcher(queue, config);
  auto rows = dispatcher.deliveries("stream.live", {{"streamId", "s1"}, {"status", "live"}},
                                    std::string("ab546c68-9163-421e-95a3-69e091d505ee"));
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].event_id == rows[1].event_id);
  CHECK(rows[0].body == rows[1].body);
  CHECK(rows[0].url == "http://a/hook");
  CHECK(rows[1].url == "http://b/hook");
  auto body = nlohmann::json::parse(rows[0].body);
  CHECK(body["id"] == rows[0].event_id);
  CHECK(body["type"] == "stream.live");
  CHECK(body["createdAt"].get<std::string>().ends_with("+00:00"));
  CHECK(body["data"]["streamId"] == "s1");

  config.secret.clear();
  CHECK_THROWS_AS(WebhookDispatcher(queue, config), std::invalid_argument);
}

TEST_CASE("a receiver that does not answer fails the attempt, not the caller",
          "[control_api][webhooks]") {
  std::atomic<bool> stop{false};
  // Nothing listens on port 9 of the loopback: refused at once.
  auto result = http_post("http://127.0.0.1:9/h", "{}", {}, {500ms, 500ms, ""}, stop);
  CHECK(result.status == 0);
  CHECK(result.error.starts_with("connect: "));
}

TEST_CASE("https receivers are reached, their certificate and name verified",
          "[control_api][webhooks][tls]") {
  test::TlsReceiver receiver;
  std::atomic<bool> stop{false};
  const std::string url = "https://127.0.0.1:" + std::to_string(receiver.port()) + "/hooks";
  const std::vector<std::pair<std::string, std::string>> headers{
      {"Content-Type", "application/json"}};

  // Trusting the receiver's certificate: delivered.
  auto trusted =
      http_post(url, R"({"type":"stream.live"})", headers, {2s, 5s, receiver.ca_file()}, stop);
  CHECK(trusted.error.empty());
  CHECK(trusted.status == 200);
  REQUIRE(receiver.bodies().size() == 1);
  CHECK(receiver.bodies()[0] == R"({"type":"stream.live"})");

  // The system's store does not know it: refused before anything is sent.
  auto unknown = http_post(url, "{}", headers, {2s, 5s, ""}, stop);
  CHECK(unknown.status == 0);
  CHECK(unknown.error.starts_with("tls: "));
  // A trusted certificate for another name: refused too.
  const std::string by_name = "https://localhost:" + std::to_string(receiver.port()) + "/hooks";
  auto wrong_name = http_post(by_name, "{}", headers, {2s, 5s, receiver.ca_file()}, stop);
  CHECK(wrong_name.status == 0);
  CHECK(wrong_name.error.starts_with("tls: "));
  CHECK(receiver.bodies().size() == 1);

  // A redirect is reported, not followed: the receiver moved, someone must look.
  receiver.redirect_to("https://elsewhere.example/hooks");
  auto moved = http_post(url, "{}", headers, {2s, 5s, receiver.ca_file()}, stop);
  CHECK(moved.status == 307);
  CHECK(moved.error == "HTTP 307 redirect to https://elsewhere.example/hooks, not followed");
  CHECK(receiver.bodies().size() == 2);
}
