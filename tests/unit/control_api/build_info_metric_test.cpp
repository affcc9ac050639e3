#include <catch2/catch.hpp>

#include "metrics.hpp"

using namespace looplive::control_api;

TEST_CASE("looplive_build_info names the versions as escaped labels", "[control_api][metrics]") {
  MetricsInput input;
  CHECK(render_metrics(input).find("looplive_build_info") == std::string::npos);
  input.build_info = {{"version", "0.1.0"}, {"ffmpeg", "5.1 \"deb\" \\ build"}};
  const std::string text = render_metrics(input);
  CHECK(text.find("# HELP looplive_build_info ") != std::string::npos);
  CHECK(text.find("# TYPE looplive_build_info gauge\n") != std::string::npos);
  CHECK(text.find(
            "looplive_build_info{version=\"0.1.0\",ffmpeg=\"5.1 \\\"deb\\\" \\\\ build\"} 1\n") !=
        std::string::npos);
}
