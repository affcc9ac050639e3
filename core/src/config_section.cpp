#include "looplive/core/config_section.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <set>

namespace looplive::core {

namespace {

const std::set<std::string> kLevels{"trace", "debug", "info", "warn", "error", "critical", "off"};

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

bool valid_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name)
    if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
      return false;
  return true;
}

// The environment file and which of its variables the configuration read.
struct Environment {
  EnvironmentFile file;
  std::set<std::string> read;
};

}  // namespace

EnvironmentFile read_environment_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot be read");
  EnvironmentFile file{path, {}};
  int number = 0;
  for (std::string text; std::getline(in, text);) {
    ++number;
    const std::string_view line = trimmed(text);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    const auto where = path + ":" + std::to_string(number) + ": ";
    const auto equals = line.find('=');
    if (equals == std::string_view::npos)
      throw ConfigError(where + "not NAME=value (a line without '=')");
    const std::string_view name = trimmed(line.substr(0, equals));
    if (!valid_name(name))
      throw ConfigError(where + "'" + std::string(name) + "' is not a variable name");
    std::string_view value = trimmed(line.substr(equals + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front())
      value = value.substr(1, value.size() - 2);
    file.values[std::string(name)] = {std::string(value), number};
  }
  return file;
}

struct ConfigSection::State {
  YAML::Node node;
  std::string path;
  std::shared_ptr<const std::string> source;
  std::filesystem::path base_dir;
  std::set<std::string> seen;
  std::shared_ptr<Environment> environment;

  // An undefined node when the key is absent or null (a const lookup never inserts).
  YAML::Node child(const std::string& key) {
    seen.insert(key);
    if (!node || !node.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    const YAML::Node& map = node;
    YAML::Node value = map[key];
    if (!value || value.IsNull()) return YAML::Node(YAML::NodeType::Undefined);
    return value;
  }
};

ConfigSection::ConfigSection(std::unique_ptr<State> state) : state_(std::move(state)) {
  if (state_->node && !state_->node.IsNull() && !state_->node.IsMap())
    fail(state_->path, "must be a mapping");
}

ConfigSection::~ConfigSection() = default;
ConfigSection::ConfigSection(ConfigSection&&) noexcept = default;
ConfigSection& ConfigSection::operator=(ConfigSection&&) noexcept = default;

ConfigSection ConfigSection::parse(const std::string& yaml_text, const std::string& source_name,
                                   const std::filesystem::path& base_dir,
                                   EnvironmentFile environment) {
  auto state = std::make_unique<State>();
  state->base_dir = base_dir;
  state->environment = std::make_shared<Environment>(Environment{std::move(environment), {}});
  try {
    state->node = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(source_name + ": " + e.what());
  }
  state->source = std::make_shared<const std::string>(source_name);
  return ConfigSection(std::move(state));
}

ConfigSection ConfigSection::section(const std::string& key) {
  auto state = std::make_unique<State>();
  state->node = state_->child(key);
  state->path = key_path(key);
  state->source = state_->source;
  state->base_dir = state_->base_dir;
  state->environment = state_->environment;
  return ConfigSection(std::move(state));
}

void ConfigSection::read_path(const std::string& key, std::string& out) {
  std::string value;
  read(key, value);
  if (value.empty()) return;
  std::filesystem::path path(value);
  if (path.is_relative() && !state_->base_dir.empty())
    path = (state_->base_dir / path).lexically_normal();
  out = path.string();
}

std::optional<std::string> ConfigSection::environment(const char* name) {
  Environment& environment = *state_->environment;
  environment.read.insert(name);
  if (const auto it = environment.file.values.find(name); it != environment.file.values.end()) {
    if (it->second.text.empty()) return std::nullopt;
    return it->second.text;
  }
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

void ConfigSection::fail(const std::string& key, const std::string& reason) const {
  throw ConfigError(*state_->source + ": " + key + ": " + reason);
}

std::string ConfigSection::key_path(const std::string& key) const {
  return state_->path.empty() ? key : state_->path + "." + key;
}

void ConfigSection::read(const std::string& key, std::string& out) {
  auto value = state_->child(key);
  if (!value) return;
  if (!value.IsScalar()) fail(key_path(key), "must be a string");
  out = value.as<std::string>();
}

void ConfigSection::read_bool(const std::string& key, bool& out) {
  auto value = state_->child(key);
  if (!value) return;
  if (!value.IsScalar() || !YAML::convert<bool>::decode(value, out))
    fail(key_path(key), "must be true or false");
}

bool ConfigSection::read_integer(const std::string& key, long long& out, long long min,
                                 long long max) {
  auto value = state_->child(key);
  if (!value) return false;
  long long parsed = 0;
  if (!value.IsScalar() || !YAML::convert<long long>::decode(value, parsed))
    fail(key_path(key), "must be an integer");
  if (parsed < min || parsed > max)
    fail(key_path(key), "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                            ", got " + std::to_string(parsed));
  out = parsed;
  return true;
}

void ConfigSection::read_ms(const std::string& key, std::chrono::milliseconds& out,
                            long long min_ms, long long max_ms) {
  long long ms = out.count();
  if (read_integer(key, ms, min_ms, max_ms)) out = std::chrono::milliseconds(ms);
}

void ConfigSection::read_list(const std::string& key, std::vector<std::string>& out) {
  auto value = state_->child(key);
  if (!value) return;
  if (!value.IsSequence()) fail(key_path(key), "must be a list of strings");
  std::vector<std::string> items;
  for (const auto& item : value) {
    if (!item.IsScalar()) fail(key_path(key), "must be a list of strings");
    items.push_back(item.as<std::string>());
  }
  out = std::move(items);
}

void ConfigSection::read_level(const std::string& key, std::string& out) {
  read(key, out);
  if (!kLevels.contains(out)) fail(key_path(key), "unknown log level '" + out + "'");
}

void ConfigSection::read_levels(const std::string& key, std::map<std::string, std::string>& out) {
  ConfigSection levels = section(key);
  const YAML::Node& node = levels.state_->node;
  if (!node || !node.IsMap()) return;
  try {
    for (const auto& entry : node) {
      const auto name = entry.first.as<std::string>();
      if (!entry.second.IsScalar()) levels.fail(levels.key_path(name), "must be a log level");
      levels.read_level(name, out[name]);
    }
  } catch (const YAML::Exception& e) {
    throw ConfigError(*state_->source + ": " + e.what());
  }
}

void ConfigSection::finish() const {
  if (state_->path.empty()) {
    const Environment& environment = *state_->environment;
    for (const auto& [name, value] : environment.file.values)
      if (!environment.read.contains(name))
        throw ConfigError(environment.file.path + ":" + std::to_string(value.line) + ": " + name +
                          " is not a variable looplive reads");
  }
  const YAML::Node& node = state_->node;
  if (!node || node.IsNull()) return;
  try {
    for (const auto& entry : node) {
      auto key = entry.first.as<std::string>();
      if (!state_->seen.contains(key)) fail(key_path(key), "unknown key");
    }
  } catch (const YAML::Exception& e) {
    throw ConfigError(*state_->source + ": " + e.what());
  }
}

}  // namespace looplive::core
