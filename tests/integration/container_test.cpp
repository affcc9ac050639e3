// The container files (Dockerfile, compose.yaml, dist/docker/) checked without
// a container runtime: the entrypoint and the container configuration run
// with this build's looplive, and compose.yaml's ports and health check agree
// with them. tests/container/compose_test builds and runs the image itself
// where Docker is available.
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <string>

#include <yaml-cpp/yaml.h>

#include "control_api_harness.hpp"

using namespace looplive::test;
namespace fs = std::filesystem;

namespace {

const std::string kSource = LOOPLIVE_SOURCE_DIR;
const std::string kEntrypoint = kSource + "/dist/docker/entrypoint";
const std::string kContainerConfig = kSource + "/dist/docker/looplive.yaml";

// The entrypoint as the image runs it, with this build's looplive first on PATH.
int run_entrypoint(const fs::path& state, const std::vector<std::string>& environment,
                   std::string& output) {
  std::vector<std::string> argv{"env", "-u", "LOOPLIVE_API_TOKENS",
                                "LOOPLIVE_STATE_DIR=" + state.string(),
                                "PATH=" + std::string(LOOPLIVE_BINARY_DIR) + "/app:/usr/bin:/bin"};
  argv.insert(argv.end(), environment.begin(), environment.end());
  argv.insert(argv.end(), {kEntrypoint, "--check-config", kContainerConfig});
  return run_command(argv, &output);
}

}  // namespace

TEST_CASE("the container's entrypoint makes an API token once and starts looplive with it",
          "[integration][container]") {
  ScratchDir state("container-state");
  std::string output;
  REQUIRE(run_entrypoint(state.path(), {}, output) == 0);
  INFO(output);
  CHECK(output.find(": ok") != std::string::npos);
  const fs::path token_file = state.path() / "api-token";
  REQUIRE(fs::exists(token_file));
  CHECK((fs::status(token_file).permissions() & fs::perms::mask) ==
        (fs::perms::owner_read | fs::perms::owner_write));
  const std::string token = read_file(token_file.string());
  CHECK(std::regex_match(token, std::regex("[0-9a-f]{64}")));
  CHECK(output.find(token) == std::string::npos);  // never printed

  // A restart keeps the token; one given in the environment wins and is checked.
  REQUIRE(run_entrypoint(state.path(), {}, output) == 0);
  CHECK(read_file(token_file.string()) == token);
  CHECK(run_entrypoint(state.path(), {"LOOPLIVE_API_TOKENS=short"}, output) != 0);
  CHECK(output.find("at least 16 characters") != std::string::npos);
}

TEST_CASE("compose.yaml publishes the container configuration's ports and checks readiness",
          "[integration][container]") {
  const YAML::Node compose = YAML::LoadFile(kSource + "/compose.yaml");
  const YAML::Node config = YAML::LoadFile(kContainerConfig);
  const YAML::Node looplive = compose["services"]["looplive"];
  CHECK(compose["services"]["postgres"]["image"].as<std::string>() == "postgres:15");
  CHECK(looplive["depends_on"]["postgres"]["condition"].as<std::string>() == "service_healthy");
  std::string published;
  for (const auto& port : looplive["ports"]) published += port.as<std::string>() + " ";
  const std::string dockerfile = read_file(kSource + "/Dockerfile");
  for (const char* section : {"rtmp", "origin", "api"}) {
    const std::string port = config[section]["port"].as<std::string>();
    INFO(section << " port " << port << " in: " << published);
    CHECK(config[section]["host"].as<std::string>() == "0.0.0.0");
    CHECK(published.find(":" + port + " ") != std::string::npos);
    CHECK(std::regex_search(dockerfile, std::regex("EXPOSE[ 0-9]* " + port + "\\b")));
  }

  // The health check, run as compose runs it, against a real API: ready, then a closed port.
  std::string check = looplive["healthcheck"]["test"][3].as<std::string>();
  const std::string api_port = config["api"]["port"].as<std::string>();
  const std::string media = make_scratch_dir("container-media");
  {
    ApiServer api(api_test_config(fresh_database("container"), media, nullptr));
    const std::string here = std::regex_replace(check, std::regex("/" + api_port + "\\b"),
                                                "/" + std::to_string(api.server.api_port()));
    REQUIRE(here != check);
    std::string output;
    CHECK(run_command({"bash", "-c", here}, &output) == 0);
  }
  const std::string closed = std::regex_replace(check, std::regex("/" + api_port + "\\b"),
                                                "/" + std::to_string(free_port()));
  std::string output;
  CHECK(run_command({"bash", "-c", closed}, &output) != 0);
  fs::remove_all(media);
}
