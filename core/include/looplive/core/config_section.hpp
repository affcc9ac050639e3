#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

// What a component needs to read its own part of the configuration file, as
// nginx modules declare their own directives: each component has a
// config.hpp with its struct (whose member initializers are the defaults)
// and a read_config(ConfigSection, Struct&) that reads its keys.
namespace looplive::core {

// Thrown at start-up only; the message reads "FILE: KEY: REASON".
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Variables read from a file instead of the process's environment: what
// systemd's EnvironmentFile= holds, read by looplive itself at start and at
// every reload, so a secret changed there applies on SIGHUP (systemd gives a
// running process no new environment). NAME=value lines; blank lines and
// lines starting with '#' or ';' are skipped; a value wrapped in one kind of
// quote loses the quotes. A variable set there wins over the environment.
struct EnvironmentFile {
  struct Value {
    std::string text;
    int line = 0;
  };
  std::string path;
  std::map<std::string, Value> values;
};

// Throws ConfigError ("FILE:LINE: REASON") when the file cannot be read or a
// line is not NAME=value.
EnvironmentFile read_environment_file(const std::string& path);

// One mapping of the configuration file. Every key must be read by name (an
// absent or null key leaves the value as it was); finish() then reports any
// key left over as unknown. Values of the wrong type or out of range throw
// ConfigError naming the key's whole path.
class ConfigSection {
 public:
  // The whole file; throws ConfigError if it is not YAML. Relative paths
  // read with read_path() are taken from `base_dir` (the file's directory)
  // when it is given, and left as written otherwise.
  // Variables of `environment` replace the process's (see environment()).
  static ConfigSection parse(const std::string& yaml_text, const std::string& source_name,
                             const std::filesystem::path& base_dir = {},
                             EnvironmentFile environment = {});
  ~ConfigSection();
  ConfigSection(ConfigSection&&) noexcept;
  ConfigSection& operator=(ConfigSection&&) noexcept;

  ConfigSection section(const std::string& key);
  void read(const std::string& key, std::string& out);
  // A file or directory: relative to the configuration file's directory, so
  // the file means the same whatever the working directory.
  void read_path(const std::string& key, std::string& out);
  void read_bool(const std::string& key, bool& out);
  template <class Int>
  void read_int(const std::string& key, Int& out, long long min, long long max) {
    long long value = static_cast<long long>(out);
    if (read_integer(key, value, min, max)) out = static_cast<Int>(value);
  }
  void read_ms(const std::string& key, std::chrono::milliseconds& out, long long min_ms,
               long long max_ms);
  // A sequence of strings; a single string is not taken for a list of one.
  void read_list(const std::string& key, std::vector<std::string>& out);
  // trace, debug, info, warn, error, critical or off.
  void read_level(const std::string& key, std::string& out);
  // A mapping of names to log levels.
  void read_levels(const std::string& key, std::map<std::string, std::string>& out);

  // An environment variable that replaces a key's value when it is set and
  // not empty (secrets kept out of the file); nothing otherwise. Taken from
  // the environment file when it sets it, else from the process. Read with
  // the file, so --check-config and start-up refuse a bad one alike.
  std::optional<std::string> environment(const char* name);

  [[noreturn]] void fail(const std::string& key, const std::string& reason) const;
  // "packager.live_window" for "live_window" in section "packager".
  std::string key_path(const std::string& key) const;
  // Call after reading every known key. On the whole file, it also reports
  // a variable of the environment file that nothing read (a misspelt name).
  void finish() const;

 private:
  struct State;
  explicit ConfigSection(std::unique_ptr<State> state);
  bool read_integer(const std::string& key, long long& out, long long min, long long max);
  std::unique_ptr<State> state_;
};

}  // namespace looplive::core
