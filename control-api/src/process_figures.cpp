#include "process_figures.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "looplive/core/shared_bytes.hpp"

namespace looplive::control_api {

namespace {

std::string read_text(const char* path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Seconds since the epoch at which the machine booted (/proc/stat btime).
double boot_time() {
  std::istringstream lines(read_text("/proc/stat"));
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with("btime ")) return std::stod(line.substr(6));
  return 0;
}

}  // namespace

std::optional<ProcessFigures> read_process_figures() {
  // Fields after the command name, which may hold spaces, closed by the last ')'.
  const std::string stat = read_text("/proc/self/stat");
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  // From field 3 (state): utime is 14, stime 15, starttime 22, vsize 23, rss 24.
  double values[25] = {};
  for (int index = 3; index <= 24 && fields >> field; ++index) {
    try {
      values[index] = std::stod(field);
    } catch (const std::exception&) {
      values[index] = 0;  // the state letter
    }
  }
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  if (ticks <= 0) return std::nullopt;
  ProcessFigures out;
  out.cpu_seconds = (values[14] + values[15]) / ticks;
  out.start_time_seconds = boot_time() + values[22] / ticks;
  out.virtual_bytes = values[23];
  out.resident_bytes = values[24] * page;
  out.memory_file_bytes = static_cast<double>(core::memory_file_bytes());
  std::error_code error;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error))
    ++out.open_fds;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) out.max_fds = static_cast<double>(limit.rlim_cur);
  return out;
}

}  // namespace looplive::control_api
