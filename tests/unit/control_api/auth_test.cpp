#include <catch2/catch.hpp>

#include <cstdlib>

#include "api_fixture.hpp"
#include "auth.hpp"

using looplive::control_api::bearer_token;
using looplive::control_api::TokenSet;
using looplive::test::ApiFixture;
namespace bhttp = boost::beast::http;

TEST_CASE("a token set recognises exactly its tokens", "[control_api][auth]") {
  TokenSet tokens({"first-token-0123456789", "second-token-0123456789"});
  CHECK(tokens.contains("first-token-0123456789"));
  CHECK(tokens.contains("second-token-0123456789"));
  CHECK_FALSE(tokens.contains("first-token-012345678"));
  CHECK_FALSE(tokens.contains("first-token-01234567890"));
  CHECK_FALSE(tokens.contains(""));
  CHECK_FALSE(TokenSet({}).contains("anything"));
  CHECK(TokenSet({}).empty());
}

TEST_CASE("bearer credentials are read from the Authorization header", "[control_api][auth]") {
  CHECK(bearer_token("Bearer abc") == "abc");
  CHECK(bearer_token("bearer   abc  ") == "abc");
  CHECK(bearer_token("BEARER abc") == "abc");
  CHECK_FALSE(bearer_token("Basic YWJjOmRlZg=="));
  CHECK_FALSE(bearer_token("Bearer"));
  CHECK_FALSE(bearer_token("Bearer    "));
  CHECK_FALSE(bearer_token(""));
}

TEST_CASE("requests without a valid token are 401 with a Bearer challenge", "[control_api][auth]") {
  ApiFixture api;
  for (const auto& token : {std::string(), std::string("wrong-token-0123456789")}) {
    auto answer = api.request(bhttp::verb::get, "/v1/streams", "", token);
    INFO(answer.body);
    CHECK(answer.status == 401);
    CHECK(answer.headers[bhttp::field::www_authenticate] == "Bearer realm=\"looplive\"");
    CHECK(answer.json()["error"]["code"] == "unauthorized");
  }
  // Authentication comes before validation: nothing is revealed about the request.
  CHECK(api.request(bhttp::verb::post, "/v1/streams", "{bad", "").status == 401);
  CHECK(api.request(bhttp::verb::post, "/v1/streams/x/end", "", "").status == 401);
  CHECK(api.request(bhttp::verb::get, "/healthz", "", "").status == 200);
}

TEST_CASE("the key hook admits a token or an allowed address", "[control_api][auth]") {
  ApiFixture api;
  const std::string form = "app=live&name=&addr=1.2.3.4";
  const auto type = "application/x-www-form-urlencoded";
  // From an address not on the list, without a token: refused before looking at the body.
  CHECK(api.request(bhttp::verb::post, "/v1/hooks/validate-key", form, "", type, "192.0.2.9")
            .status == 401);
  // Allowed address, no token: the request is read (and this one has no key).
  CHECK(api.request(bhttp::verb::post, "/v1/hooks/validate-key", form, "", type, "127.0.0.1")
            .status == 400);
  // A token from anywhere.
  CHECK(api.request(bhttp::verb::post, "/v1/hooks/validate-key", form, looplive::test::kToken, type,
                    "192.0.2.9")
            .status == 400);
  // The wrong application is refused without a database.
  CHECK(api.request(bhttp::verb::post, "/v1/hooks/validate-key", "app=other&name=sk_x", "", type,
                    "127.0.0.1")
            .status == 403);
}

TEST_CASE("metrics can require a token", "[control_api][auth]") {
  looplive::control_api::ApiConfig config;
  config.metrics_require_auth = true;
  ApiFixture api(looplive::test::unreachable_database(), config);
  CHECK(api.request(bhttp::verb::get, "/metrics", "", "").status == 401);
  CHECK(api.request(bhttp::verb::get, "/metrics").status == 200);
}
