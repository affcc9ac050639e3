#include "version.hpp"

#include <catch2/catch.hpp>

#include <boost/version.hpp>
#include <regex>

TEST_CASE("the version names this build and the libraries it runs with", "[app]") {
  const std::string text = looplive::app::version_text();
  INFO(text);
  CHECK(std::regex_search(text, std::regex(R"(^looplive \d+\.\d+\.\d+\n)")));
  CHECK(std::regex_search(text, std::regex(R"(\nFFmpeg \S+ \(libavformat \d+\.\d+\.\d+, )")));
  CHECK(text.find("\nBoost " + std::to_string(BOOST_VERSION / 100000) + "." +
                  std::to_string(BOOST_VERSION / 100 % 1000) + ".") != std::string::npos);
  CHECK(std::regex_search(text, std::regex(R"(\nlibpq \d+\.\d+, libpqxx \d+\.\d+\.\d+\n$)")));
}
