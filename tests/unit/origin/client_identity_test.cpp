#include <catch2/catch.hpp>

#include "client_identity.hpp"

using namespace looplive::origin;

TEST_CASE("trusted proxies: addresses and CIDR blocks, both families", "[origin][viewers]") {
  TrustedProxies proxies({"10.0.0.1", "173.245.48.0/20", "2400:cb00::/32", "::1"});
  CHECK(proxies.contains("10.0.0.1"));
  CHECK_FALSE(proxies.contains("10.0.0.2"));
  CHECK(proxies.contains("173.245.48.1"));
  CHECK(proxies.contains("173.245.63.255"));
  CHECK_FALSE(proxies.contains("173.245.64.0"));
  CHECK(proxies.contains("2400:cb00:1::5"));
  CHECK_FALSE(proxies.contains("2400:cb01::5"));
  CHECK(proxies.contains("::1"));
  CHECK_FALSE(proxies.contains("not an address"));
  CHECK_THROWS_AS(TrustedProxies({"10.0.0.300"}), std::invalid_argument);
  CHECK_THROWS_AS(TrustedProxies({"10.0.0.0/33"}), std::invalid_argument);
  CHECK_THROWS_AS(TrustedProxies({"10.0.0.0/x"}), std::invalid_argument);
}

TEST_CASE("X-Forwarded-For is read only from trusted proxies", "[origin][viewers]") {
  TrustedProxies proxies({"10.0.0.1", "10.0.0.2"});
  TrustedProxies none({});
  CHECK(client_address("192.0.2.9", "203.0.113.7", none) == "192.0.2.9");
  CHECK(client_address("192.0.2.9", "203.0.113.7", proxies) == "192.0.2.9");
  CHECK(client_address("10.0.0.1", "203.0.113.7", proxies) == "203.0.113.7");
  CHECK(client_address("10.0.0.1", "", proxies) == "10.0.0.1");
  // Through two of our proxies.
  CHECK(client_address("10.0.0.1", "203.0.113.7, 10.0.0.2", proxies) == "203.0.113.7");
  // A client that sends its own X-Forwarded-For cannot choose its address.
  CHECK(client_address("10.0.0.1", "1.2.3.4, 203.0.113.7", proxies) == "203.0.113.7");
  CHECK(client_address("10.0.0.1", "garbage, 203.0.113.7", proxies) == "203.0.113.7");
  CHECK(client_address("10.0.0.1", "garbage", proxies) == "10.0.0.1");
  CHECK(client_address("10.0.0.1", " 2001:db8::1 ", proxies) == "2001:db8::1");
}
