#include <catch2/catch.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "api_fixture.hpp"
#include "looplive/control_api/config.hpp"
#include "looplive/core/config_section.hpp"
#include "preview_page.hpp"

using looplive::control_api::ApiConfig;
using looplive::test::ApiFixture;
namespace bhttp = boost::beast::http;
namespace control_api = looplive::control_api;

namespace {

const std::string kId = "ab546c68-9163-421e-95a3-69e091d505ee";
const std::string kDefaultScript =
    R"(<script src="https://cdn.jsdelivr.net/npm/hls.js@1.7.4/dist/hls.min.js" )"
    R"(integrity="sha384-p9vgU/7IYJWd3I4STrtqxqR/2cAQlhIX7D/HrTnIMEjjcUox165b7se7sxmm3zDg" )"
    R"(crossorigin="anonymous"></script>)";

// What follows `open` in `text`, up to `close`.
std::string between(const std::string& text, const std::string& open, const std::string& close) {
  const auto start = text.find(open);
  if (start == std::string::npos) return {};
  const auto end = text.find(close, start + open.size());
  if (end == std::string::npos) return {};
  return text.substr(start + open.size(), end - start - open.size());
}

std::string csp_hash(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  REQUIRE(EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) == 1);
  std::string encoded(4 * ((length + 2) / 3) + 1, '\0');
  encoded.resize(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()), digest,
                                 static_cast<int>(length)));
  return "'sha256-" + encoded + "'";
}

ApiConfig api_config(const std::string& yaml) {
  auto root = looplive::core::ConfigSection::parse(yaml, "test.yaml");
  ApiConfig config;
  control_api::read_config(root.section("api"), config);
  return config;
}

std::string config_error(const std::string& yaml) {
  try {
    api_config(yaml);
  } catch (const looplive::core::ConfigError& error) {
    return error.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("the preview page needs no token and holds no data", "[control_api][preview]") {
  ApiFixture api;
  auto answer = api.request(bhttp::verb::get, "/watch/" + kId, "", "");
  REQUIRE(answer.status == 200);
  CHECK(answer.headers[bhttp::field::content_type] == "text/html; charset=utf-8");
  CHECK(answer.headers[bhttp::field::cache_control] == "no-store");
  CHECK(answer.headers["X-Content-Type-Options"] == "nosniff");
  CHECK(answer.headers["Referrer-Policy"] == "no-referrer");
  CHECK(answer.body.find(kDefaultScript) != std::string::npos);
  // The page reads the id from its own address and asks the API for the rest.
  CHECK(answer.body.find(kId) == std::string::npos);
  CHECK(answer.body.find(looplive::test::kToken) == std::string::npos);

  // The page's own script and style run by their hashes, nothing inline besides.
  const std::string policy(answer.headers["Content-Security-Policy"]);
  INFO(policy);
  const std::string script = between(answer.body, "</script>\n<script>", "</script>");
  const std::string style = between(answer.body, "<style>", "</style>");
  REQUIRE(script.find("textContent") != std::string::npos);
  REQUIRE(style.find("video") != std::string::npos);
  CHECK(policy.starts_with("default-src 'none'; "));
  CHECK(policy.find("; script-src " + csp_hash(script) + " https://cdn.jsdelivr.net; ") !=
        std::string::npos);
  CHECK(policy.find("; style-src " + csp_hash(style) + "; ") != std::string::npos);
  CHECK(policy.find("; connect-src 'self' http://localhost:8080; ") != std::string::npos);
  CHECK(policy.find("; media-src blob: http://localhost:8080; ") != std::string::npos);
  CHECK(policy.find("frame-ancestors 'none'") != std::string::npos);
  CHECK(policy.find("unsafe") == std::string::npos);
  CHECK(answer.body.find("<video id=\"video\" muted autoplay playsinline controls>") !=
        std::string::npos);
  CHECK(answer.body.find("<form id=\"login\" hidden>") != std::string::npos);

  // Any token, or a wrong one, changes nothing; ids take any case, as in /v1/.
  std::string upper = kId;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  CHECK(api.request(bhttp::verb::get, "/watch/" + upper, "", "").status == 200);
  CHECK(api.request(bhttp::verb::get, "/watch/" + kId, "", "wrong-token-0123456789").body ==
        answer.body);
}

TEST_CASE("the preview page is 404 for what is not a stream id, 405 for other methods",
          "[control_api][preview]") {
  ApiFixture api;
  for (const std::string& path : std::vector<std::string>{
           "/watch/42", "/watch/", "/watch/..%2F..%2Fetc", "/watch", "/watch/" + kId + "/x"}) {
    auto answer = api.request(bhttp::verb::get, path, "", "");
    INFO(path << ": " << answer.body);
    CHECK(answer.status == 404);
    CHECK(answer.json()["error"]["code"] == "not_found");
  }
  auto answer = api.request(bhttp::verb::post, "/watch/" + kId, "", "");
  CHECK(answer.status == 405);
  CHECK(answer.headers[bhttp::field::allow] == "GET");
}

TEST_CASE("the preview page loads hls.js from the configured URL", "[control_api][preview]") {
  // Another URL drops the default digest, whose bytes it does not serve.
  auto config = api_config(R"(api:
  preview_hls_js_url: "https://static.example.com:8443/js/hls.min.js?v=1&x=2"
  public_playback_url: "https://video.example.com/base/"
)");
  CHECK(config.preview_hls_js_integrity.empty());
  ApiFixture api(looplive::test::unreachable_database(), config);
  auto answer = api.request(bhttp::verb::get, "/watch/" + kId, "", "");
  REQUIRE(answer.status == 200);
  CHECK(
      answer.body.find(R"(<script src="https://static.example.com:8443/js/hls.min.js?v=1&amp;x=2" )"
                       R"(crossorigin="anonymous"></script>)") != std::string::npos);
  CHECK(answer.body.find("integrity=") == std::string::npos);
  const std::string policy(answer.headers["Content-Security-Policy"]);
  INFO(policy);
  CHECK(policy.find(" https://static.example.com:8443; style-src") != std::string::npos);
  CHECK(policy.find("; connect-src 'self' https://video.example.com; ") != std::string::npos);

  // Its own digest is kept, and so is the default one with the default URL.
  const std::string own = "sha512-AbC+/0== sha384-xyz";
  CHECK(api_config("api: {preview_hls_js_url: 'http://10.0.0.7/hls.js', "
                   "preview_hls_js_integrity: '" +
                   own + "'}")
            .preview_hls_js_integrity == own);
  CHECK(api_config("api: {port: 9000}").preview_hls_js_integrity ==
        ApiConfig{}.preview_hls_js_integrity);
  CHECK(api_config("api: {preview_hls_js_integrity: ''}").preview_hls_js_integrity.empty());
}

TEST_CASE("preview settings that would break the page are refused at start-up",
          "[control_api][preview]") {
  const std::string url_error =
      "test.yaml: api.preview_hls_js_url: must be an http:// or https:// URL without spaces, "
      "quotes or angle brackets";
  for (const char* url : {"ftp://cdn.example.com/hls.js", "//cdn.example.com/hls.js", "https://",
                          "https://user@cdn.example.com/hls.js", "https://cdn.example.com/a b.js",
                          "https://cdn.example.com/\\\"><script>", "https://cdn.example.com;/x",
                          "https://cdn.example.com:/hls.js"}) {
    INFO(url);
    CHECK(config_error(std::string("api: {preview_hls_js_url: '") + url + "'}") == url_error);
  }
  const std::string integrity_error =
      "test.yaml: api.preview_hls_js_integrity: must be empty or Subresource Integrity digests "
      "such as sha384-<base64>";
  for (const char* digest : {"md5-abc", "sha384-", "sha384-ab!c", "sha384-abc\"", "abc"}) {
    INFO(digest);
    CHECK(config_error(std::string("api: {preview_hls_js_integrity: '") + digest + "'}") ==
          integrity_error);
  }
  CHECK(control_api::url_origin("https://[::1]:8080/x") == "https://[::1]:8080");
  CHECK(control_api::url_origin("http://cdn.example.com") == "http://cdn.example.com");
  CHECK(control_api::url_origin("http://cdn.example.com#x") == "http://cdn.example.com");
}
