// docs/ops: the Prometheus alert rules and the Grafana dashboard's queries
// are valid PromQL (promtool), and every metric they name is one a running
// looplive exposes.
#include <catch2/catch.hpp>

#include <regex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "control_api_harness.hpp"

using namespace looplive;
using namespace looplive::test;
namespace fs = std::filesystem;

namespace {

const std::string kOps = std::string(LOOPLIVE_SOURCE_DIR) + "/docs/ops/";

// The families a server's /metrics describes (# HELP lines).
std::set<std::string> exposed_families() {
  const std::string media = make_scratch_dir("media");
  std::string text;
  {
    ApiServer api(api_test_config(fresh_database("ops_docs"), media, nullptr));
    text = api.call(bhttp::verb::get, "/metrics", "", "").body;
  }
  fs::remove_all(media);
  std::set<std::string> families;
  const std::regex help(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) )");
  for (std::sregex_iterator it(text.begin(), text.end(), help), end; it != end; ++it)
    families.insert((*it)[1]);
  return families;
}

// looplive's and the process's metric names in a PromQL expression, a
// histogram's series named by their family.
std::set<std::string> metrics_named(const std::string& expr) {
  std::set<std::string> names;
  const std::regex name(R"(\b((?:looplive|process)_[a-z_]+))");
  for (std::sregex_iterator it(expr.begin(), expr.end(), name), end; it != end; ++it) {
    std::string found = (*it)[1];
    for (const std::string suffix : {"_bucket", "_sum", "_count"})
      if (found.ends_with(suffix) && found.find("duration_seconds") != std::string::npos)
        found.resize(found.size() - suffix.size());
    names.insert(found);
  }
  return names;
}

std::string promtool_rules(const fs::path& file) {
  std::string out;
  const int status = run_command({"promtool", "check", "rules", file.string()}, &out);
  return status == 0 ? "" : out.empty() ? "promtool failed" : out;
}

}  // namespace

TEST_CASE("the alert rules and the dashboard's queries are valid and name real metrics",
          "[integration][ops]") {
  CHECK(promtool_rules(kOps + "alerts.yml").empty());
  const auto alerts = read_file(kOps + "alerts.yml");

  // Each panel's query as a recording rule, for promtool to parse (JSON
  // strings are YAML double-quoted scalars).
  const auto dashboard = nlohmann::json::parse(read_file(kOps + "grafana-dashboard.json"));
  REQUIRE(dashboard["panels"].size() >= 10);
  std::string rules = "groups:\n  - name: dashboard\n    rules:\n";
  std::vector<std::string> queries;
  for (const auto& panel : dashboard["panels"])
    for (const auto& target : panel["targets"]) {
      queries.push_back(target["expr"].get<std::string>());
      rules += "      - record: dashboard:panel_" + std::to_string(queries.size()) +
               "\n        expr: " + nlohmann::json(queries.back()).dump() + "\n";
    }
  ScratchDir scratch("ops");
  const fs::path rules_file = scratch.path() / "dashboard_rules.yml";
  write_bytes(rules_file, {rules.begin(), rules.end()});
  const std::string parsed = promtool_rules(rules_file);
  INFO(rules << parsed);
  CHECK(parsed.empty());

  const auto families = exposed_families();
  REQUIRE(families.contains("looplive_database_up"));
  queries.push_back(alerts);
  for (const auto& query : queries)
    for (const auto& name : metrics_named(query)) {
      INFO(name << " in " << query.substr(0, 200));
      CHECK(families.contains(name));
    }
}
