#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "process.hpp"

namespace looplive::test {

// The one JSON line a script of tests/player prints last (its report); not
// an object when the script printed none.
inline nlohmann::json player_report(const std::string& output) {
  const auto start = output.rfind("\n{");
  return nlohmann::json::parse(output.substr(start == std::string::npos ? 0 : start + 1), nullptr,
                               false);
}

// Runs tests/player/<script> with `args` under node (its log in a scratch
// directory named `name`), doing `during` meanwhile; requires a report that
// says ok within `timeout`, and returns it.
inline nlohmann::json run_player(const std::string& script, const std::vector<std::string>& args,
                                 const std::string& name, std::chrono::seconds timeout,
                                 const std::function<void()>& during = {}) {
  std::vector<std::string> argv{"node",
                                std::string(LOOPLIVE_SOURCE_DIR) + "/tests/player/" + script};
  argv.insert(argv.end(), args.begin(), args.end());
  Process player(argv, make_scratch_dir(name) + "/player.log");
  if (during) during();
  const auto status = player.wait(timeout);
  const std::string output = player.output();
  INFO(script << " " << args.front() << " " << (args.size() > 1 ? args[1] : "") << ":\n" << output);
  REQUIRE(status.has_value());
  auto report = player_report(output);
  REQUIRE(report.is_object());
  CHECK(report["ok"] == true);
  return report;
}

}  // namespace looplive::test
