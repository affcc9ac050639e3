#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace looplive::test {

// A child process a test starts. Its stdout and stderr go to one log file the
// test can read. The destructor kills the whole process group if it is still
// running, so a failing test never leaves an encoder behind.
class Process {
 public:
  Process(std::vector<std::string> argv, std::string log_path);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // The exit status (128 + signal if killed), or nothing if still running after `timeout`.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  void terminate();  // SIGTERM, then SIGKILL after 3 s
  bool running();
  std::string output() const;  // what the process wrote so far
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string log_path_;
};

// Runs a command to completion; returns its exit status and fills `output`.
int run_command(const std::vector<std::string>& argv, std::string* output = nullptr,
                std::chrono::milliseconds timeout = std::chrono::minutes(5));

// The path of one of the project's own tools (tools/), as this build made it.
inline std::string built_tool(const std::string& name) {
  return std::string(LOOPLIVE_BINARY_DIR) + "/tools/" + name;
}

// A TCP port on 127.0.0.1 that was free when asked.
uint16_t free_port();
// Whether something listens on 127.0.0.1:`port` now (a server a test started).
bool accepts_connections(uint16_t port);
// A fresh directory under $LOOPLIVE_TEST_SCRATCH (or /tmp), removed by the caller.
std::string make_scratch_dir(const std::string& prefix);

// A scratch directory removed, with everything in it, when the test is done.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix = "scratch") : path_(make_scratch_dir(prefix)) {}
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string read_file(const std::string& path);
std::vector<uint8_t> read_bytes(const std::filesystem::path& path);
void write_bytes(const std::filesystem::path& path, const std::vector<uint8_t>& bytes);

}  // namespace looplive::test
