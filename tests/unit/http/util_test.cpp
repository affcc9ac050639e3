#include <catch2/catch.hpp>

#include "looplive/http/util.hpp"

using namespace looplive::http;
using Kind = ByteRange::Kind;

namespace {

ByteRange range(std::string_view header, uint64_t size = 1000) {
  return parse_range(header, size);
}

bool is(const ByteRange& r, uint64_t first, uint64_t last) {
  return r.kind == Kind::satisfiable && r.first == first && r.last == last;
}

}  // namespace

TEST_CASE("a single byte range in each of its three forms", "[http][range]") {
  CHECK(is(range("bytes=0-499"), 0, 499));
  CHECK(range("bytes=0-499").length() == 500);
  CHECK(is(range("bytes=500-"), 500, 999));
  CHECK(is(range("bytes=-200"), 800, 999));
  CHECK(is(range("bytes=0-0"), 0, 0));
  CHECK(range("bytes=0-0").length() == 1);
  CHECK(is(range("bytes=999-999"), 999, 999));
  CHECK(is(range("Bytes=1-2"), 1, 2));
  CHECK(is(range("  bytes= 3-4 "), 3, 4));
}

TEST_CASE("ranges past the end are clamped or unsatisfiable", "[http][range]") {
  CHECK(is(range("bytes=10-5000"), 10, 999));
  CHECK(is(range("bytes=-5000"), 0, 999));
  CHECK(is(range("bytes=0-99999999999999999999999"), 0, 999));
  CHECK(range("bytes=1000-").kind == Kind::unsatisfiable);
  CHECK(range("bytes=1000-2000").kind == Kind::unsatisfiable);
  CHECK(range("bytes=99999999999999999999999-").kind == Kind::unsatisfiable);
  CHECK(range("bytes=-0").kind == Kind::unsatisfiable);
  CHECK(range("bytes=0-0", 0).kind == Kind::unsatisfiable);
  CHECK(range("bytes=-5", 0).kind == Kind::unsatisfiable);
  CHECK(range("bytes=0-0", 0).length() == 0);
}

TEST_CASE("several ranges are reported, not served", "[http][range]") {
  CHECK(range("bytes=0-1,3-4").kind == Kind::multiple);
  CHECK(range("bytes=0-1, -3").kind == Kind::multiple);
  CHECK(is(range("bytes=0-1,"), 0, 1));
  CHECK(is(range("bytes=, ,5-6"), 5, 6));
  CHECK(range("bytes=0-1,x").kind == Kind::none);
}

TEST_CASE("a Range header that breaks the grammar is ignored", "[http][range]") {
  for (auto header :
       {"", "bytes", "bytes=", "bytes=-", "bytes=abc", "bytes=5", "bytes=5-3", "bytes=1-2-3",
        "bytes=+1-2", "bytes=0x10-", "items=0-1", "bytes 0-1", "garbage", "bytes=,"}) {
    INFO(header);
    CHECK(range(header).kind == Kind::none);
  }
}

TEST_CASE("http_date writes IMF-fixdate", "[http][date]") {
  CHECK(http_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK(http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
  CHECK(http_date(951782400) == "Tue, 29 Feb 2000 00:00:00 GMT");
  CHECK(http_date(1700000000) == "Tue, 14 Nov 2023 22:13:20 GMT");
}

TEST_CASE("parse_http_date reads the three forms", "[http][date]") {
  CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777);
  CHECK(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == 784111777);
  CHECK(parse_http_date("Sun Nov  6 08:49:37 1994") == 784111777);
  CHECK(parse_http_date("Tue Nov 14 22:13:20 2023") == 1700000000);
  CHECK(parse_http_date(" Tue, 14 Nov 2023 22:13:20 GMT ") == 1700000000);
  for (std::time_t t :
       {std::time_t(0), std::time_t(951782400), std::time_t(1700000000), std::time_t(4102444799)})
    CHECK(parse_http_date(http_date(t)) == t);
}

TEST_CASE("a two-digit RFC 850 year is never more than 50 years ahead", "[http][date]") {
  auto in_1999 = parse_http_date("Friday, 31-Dec-99 23:59:59 GMT");
  REQUIRE(in_1999);
  CHECK(*in_1999 == 946684799);
  auto soon = parse_http_date("Monday, 01-Jan-35 00:00:00 GMT");
  REQUIRE(soon);
  CHECK(*soon == 2051222400);
}

TEST_CASE("parse_http_date refuses anything else", "[http][date]") {
  for (auto text : {"", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 UTC",
                    "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 31 Feb 1994 08:49:37 GMT",
                    "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
                    "Xyz, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMTx",
                    "Sun Nov 6 08:49:37 1994", "1994-11-06T08:49:37Z", "784111777"}) {
    INFO(text);
    CHECK_FALSE(parse_http_date(text));
  }
}

TEST_CASE("percent_decode decodes once and refuses broken escapes", "[http][uri]") {
  CHECK(percent_decode("/live/a%20b/index.m3u8") == "/live/a b/index.m3u8");
  CHECK(percent_decode("%2F%2f") == "//");
  CHECK(percent_decode("a+b") == "a+b");
  CHECK(percent_decode("") == "");
  CHECK(percent_decode("%e2%82%AC") == "\xe2\x82\xac");
  CHECK(percent_decode("%00") == std::string(1, '\0'));
  // Double encoding survives one pass; rejecting "%2e" or ".." is the caller's call.
  CHECK(percent_decode("%252e%252e/") == "%2e%2e/");
  CHECK(percent_decode("%2e%2e/") == "../");
  CHECK_FALSE(percent_decode("%"));
  CHECK_FALSE(percent_decode("abc%2"));
  CHECK_FALSE(percent_decode("%zz"));
  CHECK_FALSE(percent_decode("%2g"));
}

TEST_CASE("targets split into path and query; query parameters are found", "[http][uri]") {
  auto parts = split_path_and_query("/live/x/index.m3u8?token=abc&x=1");
  CHECK(parts.path == "/live/x/index.m3u8");
  CHECK(parts.query == "token=abc&x=1");
  CHECK(split_path_and_query("/a").query.empty());
  CHECK(split_path_and_query("/a?").path == "/a");
  CHECK(split_path_and_query("/a?b?c").query == "b?c");

  std::string_view query = "token=abc%2B1&empty=&bare&name=a+b&token=second&bad=%zz";
  CHECK(query_param(query, "token") == "abc+1");
  CHECK(query_param(query, "empty") == "");
  CHECK(query_param(query, "bare") == "");
  CHECK(query_param(query, "name") == "a b");
  CHECK_FALSE(query_param(query, "missing"));
  CHECK_FALSE(query_param(query, "bad"));
  CHECK_FALSE(query_param(query, "tok"));
  CHECK(query_param("a%62c=1", "abc") == "1");
  CHECK_FALSE(query_param("", "a"));
}

TEST_CASE("Accept-Encoding: a coding by name with a weight above zero, or *", "[http][encoding]") {
  CHECK(accepts_coding("gzip", "gzip"));
  CHECK(accepts_coding("gzip, deflate, br, zstd", "gzip"));
  CHECK(accepts_coding("br;q=1.0, GZip;q=0.5", "gzip"));
  CHECK(accepts_coding(" deflate ,\tgzip ; q=0.001", "gzip"));
  CHECK(accepts_coding("*", "gzip"));
  CHECK(accepts_coding("br, *;q=0.1", "gzip"));
  CHECK_FALSE(accepts_coding("", "gzip"));
  CHECK_FALSE(accepts_coding("identity", "gzip"));
  CHECK_FALSE(accepts_coding("deflate, br", "gzip"));
  CHECK_FALSE(accepts_coding("gzip;q=0", "gzip"));
  CHECK_FALSE(accepts_coding("gzip; Q=0.000", "gzip"));
  CHECK_FALSE(accepts_coding("*;q=0", "gzip"));
  // Named outright, it wins over "*" wherever each stands.
  CHECK_FALSE(accepts_coding("*, gzip;q=0", "gzip"));
  CHECK_FALSE(accepts_coding("gzip;q=0, *", "gzip"));
  CHECK(accepts_coding("*;q=0, gzip", "gzip"));
  CHECK_FALSE(accepts_coding("gzipped, x-gzip", "gzip"));
}
