// rtmp_loadgen: many concurrent RTMP publishers in one process, for ingest load tests.
//
// Usage:
//   rtmp_loadgen --publishers N --seconds S --url-template TEMPLATE --keys FILE
//                [--stagger-ms M] [--verbose] FILE.flv
//
//   --publishers N      number of concurrent publishers (one thread each; meant for N <= 200)
//   --seconds S         how long each publisher streams, from its NetStream.Publish.Start
//   --url-template T    e.g. rtmp://127.0.0.1:1935/live/{key}; every {key} is replaced
//   --keys FILE         one stream key per line, the first N are used (blank lines and
//                       lines starting with # are skipped)
//   --stagger-ms M      start publisher i after i*M ms instead of all at once (default 0)
//   --verbose           librtmp's debug log and server statuses, prefixed per publisher
//
// Every publisher paces FILE.flv in real time and loops it until S seconds of
// media have been sent, shifting timestamps by one file length per pass so they
// keep increasing (onMetaData is only sent on the first pass, an AVC
// end-of-sequence tag never).
//
// Reported per publisher: achieved payload rate (kbit/s), stalls, worst lag
// behind real time, and whether it was disconnected. A stall is a single write
// that blocked for more than 500 ms, or the publisher falling more than 1 s behind
// real time (counted once per episode). The last line sums everything up:
//   summary publishers=.. finished=.. rejected=.. connect_failed=.. dropped=.. stalls=.. ...
//
// Exit status:
//   0    every publisher streamed for S seconds without being disconnected
//   1    usage error, unreadable keys or FLV file
//   2    some publishers were refused by the server, none failed otherwise
//   3    some publisher could not connect or was disconnected mid-stream
//   130  interrupted (SIGINT/SIGTERM); the report covers what ran until then

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "flv_pacing.hpp"
#include "rtmp_publisher.hpp"

namespace {

using looplive::tools::Clock;
using looplive::tools::FlvTag;
using looplive::tools::OpenResult;
using looplive::tools::RtmpPublisher;

constexpr int kExitOk = 0;
constexpr int kExitUsage = 1;
constexpr int kExitRejected = 2;
constexpr int kExitTransport = 3;
constexpr int kExitInterrupted = 130;
constexpr auto kPublishTimeout = std::chrono::seconds(5);
constexpr auto kBlockedWrite = std::chrono::milliseconds(500);
constexpr auto kFallenBehind = std::chrono::seconds(1);

std::atomic<bool> g_interrupted{false};

void handle_interrupt(int signal_number) {
  g_interrupted.store(true);
  // A second interrupt should end the process even if a publisher is stuck.
  std::signal(signal_number, SIG_DFL);
}

struct Options {
  uint32_t publishers = 0;
  double seconds = 0;
  std::string url_template;
  std::string keys_file;
  uint32_t stagger_ms = 0;
  bool verbose = false;
  std::string flv_file;
};

// The fixture, prepared once and read by every publisher thread.
struct Source {
  std::vector<FlvTag> tags;
  uint32_t first_timestamp_ms = 0;
  uint32_t period_ms = 0;
  uint64_t pass_bytes = 0;
};

enum class Outcome { kFinished, kStopped, kRejected, kConnectFailed, kDropped };

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kFinished:
      return "finished";
    case Outcome::kStopped:
      return "stopped";
    case Outcome::kRejected:
      return "rejected";
    case Outcome::kConnectFailed:
      return "no-connect";
    case Outcome::kDropped:
      return "dropped";
  }
  return "?";
}

struct PublisherReport {
  std::string key;
  Outcome outcome = Outcome::kConnectFailed;
  std::string detail;
  uint64_t tags = 0;
  uint64_t bytes = 0;
  double seconds = 0;
  uint32_t stalls = 0;
  int64_t max_lag_ms = 0;

  double kbps() const { return seconds > 0 ? static_cast<double>(bytes) * 8 / 1000 / seconds : 0; }
  bool disconnected() const { return outcome == Outcome::kDropped; }
};

void print_usage(std::FILE* out) {
  std::fprintf(out,
               "usage: rtmp_loadgen --publishers N --seconds S --url-template "
               "rtmp://HOST:PORT/APP/{key}\n"
               "                    --keys FILE [--stagger-ms M] [--verbose] FILE.flv\n"
               "exit: 0 all finished, 1 usage/file error, 2 some refused, 3 some failed to "
               "connect or dropped, 130 interrupted\n");
}

bool parse_uint(std::string_view text, uint32_t& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end;
}

bool parse_seconds(const char* text, double& out) {
  char* end = nullptr;
  out = std::strtod(text, &end);
  return end != text && *end == '\0' && out > 0 && out < 1e7;
}

bool parse_options(int argc, char** argv, Options& options, bool& help) {
  std::vector<std::string_view> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--help" || arg == "-h") {
      help = true;
      return true;
    } else if (arg == "--verbose" || arg == "-v") {
      options.verbose = true;
    } else if (arg == "--publishers") {
      if (!has_value || !parse_uint(argv[i + 1], options.publishers) || options.publishers == 0) {
        std::fprintf(stderr, "error: --publishers needs a positive integer\n");
        return false;
      }
      ++i;
    } else if (arg == "--seconds") {
      if (!has_value || !parse_seconds(argv[i + 1], options.seconds)) {
        std::fprintf(stderr, "error: --seconds needs a positive number\n");
        return false;
      }
      ++i;
    } else if (arg == "--stagger-ms") {
      if (!has_value || !parse_uint(argv[i + 1], options.stagger_ms)) {
        std::fprintf(stderr, "error: --stagger-ms needs a non-negative integer\n");
        return false;
      }
      ++i;
    } else if (arg == "--url-template") {
      if (!has_value) {
        std::fprintf(stderr, "error: --url-template needs a value\n");
        return false;
      }
      options.url_template = argv[++i];
    } else if (arg == "--keys") {
      if (!has_value) {
        std::fprintf(stderr, "error: --keys needs a file\n");
        return false;
      }
      options.keys_file = argv[++i];
    } else if (arg.size() > 1 && arg[0] == '-') {
      std::fprintf(stderr, "error: unknown option %s\n", argv[i]);
      return false;
    } else {
      positional.push_back(arg);
    }
  }
  if (options.publishers == 0 || options.seconds <= 0 || options.url_template.empty() ||
      options.keys_file.empty()) {
    std::fprintf(stderr,
                 "error: --publishers, --seconds, --url-template and --keys are required\n");
    return false;
  }
  if (options.url_template.find("{key}") == std::string::npos) {
    std::fprintf(stderr, "error: --url-template must contain {key}\n");
    return false;
  }
  if (positional.size() != 1) {
    std::fprintf(stderr, "error: expected exactly one FLV file\n");
    return false;
  }
  options.flv_file = positional[0];
  return true;
}

// Returns false (after printing why) when the file cannot be read.
bool read_keys(const std::string& path, std::vector<std::string>& keys) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "error: %s: cannot open keys file\n", path.c_str());
    return false;
  }
  std::string line;
  while (std::getline(in, line)) {
    const size_t begin = line.find_first_not_of(" \t\r");
    if (begin == std::string::npos || line[begin] == '#') {
      continue;
    }
    const size_t end = line.find_last_not_of(" \t\r");
    keys.push_back(line.substr(begin, end - begin + 1));
  }
  return true;
}

std::string expand_template(const std::string& url_template, const std::string& key) {
  constexpr std::string_view kPlaceholder = "{key}";
  std::string url;
  size_t from = 0;
  for (size_t at = url_template.find(kPlaceholder); at != std::string::npos;
       at = url_template.find(kPlaceholder, from)) {
    url.append(url_template, from, at - from);
    url += key;
    from = at + kPlaceholder.size();
  }
  url.append(url_template, from);
  return url;
}

// Sleeps until `deadline` unless interrupted; returns false on interrupt.
bool sleep_until(Clock::time_point deadline) {
  while (Clock::now() < deadline) {
    if (g_interrupted.load()) {
      return false;
    }
    std::this_thread::sleep_for(
        std::min<Clock::duration>(deadline - Clock::now(), std::chrono::milliseconds(50)));
  }
  return !g_interrupted.load();
}

void run_publisher(const Source& source, const Options& options, size_t index,
                   PublisherReport& report) {
  looplive::tools::rtmp_detail::log_prefix =
      "[" + std::to_string(index + 1) + " " + report.key + "] ";
  if (!sleep_until(Clock::now() +
                   std::chrono::milliseconds(uint64_t{options.stagger_ms} * index))) {
    report.outcome = Outcome::kStopped;
    report.detail = "interrupted before connecting";
    return;
  }

  RtmpPublisher publisher(expand_template(options.url_template, report.key));
  switch (publisher.open(kPublishTimeout)) {
    case OpenResult::kPublishing:
      break;
    case OpenResult::kRejected:
      report.outcome = Outcome::kRejected;
      report.detail =
          publisher.server_error() ? publisher.server_error()->text() : publisher.error();
      return;
    case OpenResult::kInvalidUrl:
    case OpenResult::kTransportError:
      report.outcome = Outcome::kConnectFailed;
      report.detail = publisher.error();
      return;
  }

  const auto limit = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::duration<double>(options.seconds));
  const Clock::time_point start = Clock::now();
  const Clock::time_point end_limit = start + limit;
  report.outcome = Outcome::kFinished;
  Clock::time_point latest_due = start;
  bool behind = false;
  bool done = false;
  for (uint64_t pass = 0; !done; ++pass) {
    const uint64_t offset = pass * source.period_ms;
    const uint64_t tags_before_pass = report.tags;
    for (const FlvTag& tag : source.tags) {
      // The stream ends wherever the time limit falls, so end-of-sequence is never sent.
      if ((pass > 0 && tag.type == looplive::media::kFlvTagScript) ||
          looplive::media::is_end_of_sequence(tag)) {
        continue;
      }
      const uint64_t media_ms = offset + (tag.timestamp_ms - source.first_timestamp_ms);
      // A publisher that fell behind stops on the wall clock too, so its rate shows the shortfall.
      if (media_ms >= static_cast<uint64_t>(limit.count()) || Clock::now() >= end_limit) {
        done = true;
        break;
      }
      if (g_interrupted.load()) {
        report.outcome = Outcome::kStopped;
        report.detail = "interrupted";
        done = true;
        break;
      }
      const Clock::time_point due = start + std::chrono::milliseconds(media_ms);
      if (!publisher.wait_until(due)) {
        report.outcome = Outcome::kDropped;
        done = true;
        break;
      }
      const Clock::time_point send_start = Clock::now();
      if (!publisher.write(tag, static_cast<uint32_t>(tag.timestamp_ms + offset))) {
        report.outcome = Outcome::kDropped;
        done = true;
        break;
      }
      const Clock::time_point send_end = Clock::now();
      // Against the latest due time so far: a tag stamped earlier than its
      // predecessor (audio/video interleaving) is not late because of the network.
      latest_due = std::max(latest_due, due);
      const auto lag = std::max(send_start - latest_due, Clock::duration::zero());
      report.max_lag_ms = std::max<int64_t>(
          report.max_lag_ms, std::chrono::duration_cast<std::chrono::milliseconds>(lag).count());
      const bool late = lag > kFallenBehind;
      if (send_end - send_start > kBlockedWrite || (late && !behind)) {
        ++report.stalls;
      }
      behind = late;
      ++report.tags;
      report.bytes += tag.body.size();
    }
    // A file of nothing but once-only tags has nothing left to loop.
    if (report.tags == tags_before_pass) {
      done = true;
    }
  }
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (report.outcome != Outcome::kDropped && !(publisher.poll() && publisher.finish())) {
    report.outcome = Outcome::kDropped;
  }
  if (report.outcome == Outcome::kDropped) {
    report.detail = publisher.error();
    if (publisher.server_error()) {
      report.detail += " after server status " + publisher.server_error()->text();
    }
    std::fprintf(stderr, "publisher %zu (%s) disconnected: %s\n", index + 1, report.key.c_str(),
                 report.detail.c_str());
  }
}

void print_report(const Source& source, const std::vector<PublisherReport>& reports) {
  size_t key_width = 3;
  for (const PublisherReport& report : reports) {
    key_width = std::max(key_width, report.key.size());
  }
  const int width = static_cast<int>(key_width);
  std::printf("%4s  %-*s  %-10s  %8s  %6s  %10s  %7s  %12s  %s\n", "#", width, "key", "result",
              "kbit/s", "stalls", "max_lag_ms", "tags", "disconnected", "detail");
  uint32_t counts[5] = {};
  uint64_t stalls = 0;
  double total_kbps = 0;
  for (size_t i = 0; i < reports.size(); ++i) {
    const PublisherReport& report = reports[i];
    ++counts[static_cast<int>(report.outcome)];
    stalls += report.stalls;
    total_kbps += report.kbps();
    std::printf("%4zu  %-*s  %-10s  %8.1f  %6u  %10lld  %7llu  %12s  %s\n", i + 1, width,
                report.key.c_str(), outcome_name(report.outcome), report.kbps(), report.stalls,
                static_cast<long long>(report.max_lag_ms),
                static_cast<unsigned long long>(report.tags), report.disconnected() ? "yes" : "no",
                report.detail.c_str());
  }
  const double source_kbps =
      source.period_ms > 0 ? static_cast<double>(source.pass_bytes) * 8 / source.period_ms : 0;
  std::printf(
      "summary publishers=%zu finished=%u rejected=%u connect_failed=%u dropped=%u stopped=%u "
      "stalls=%llu total_kbps=%.1f mean_kbps=%.1f source_kbps=%.1f\n",
      reports.size(), counts[static_cast<int>(Outcome::kFinished)],
      counts[static_cast<int>(Outcome::kRejected)],
      counts[static_cast<int>(Outcome::kConnectFailed)],
      counts[static_cast<int>(Outcome::kDropped)], counts[static_cast<int>(Outcome::kStopped)],
      static_cast<unsigned long long>(stalls), total_kbps,
      reports.empty() ? 0.0 : total_kbps / static_cast<double>(reports.size()), source_kbps);
  std::fflush(stdout);
}

int exit_status(const std::vector<PublisherReport>& reports) {
  if (g_interrupted.load()) {
    return kExitInterrupted;
  }
  bool rejected = false;
  for (const PublisherReport& report : reports) {
    if (report.outcome == Outcome::kDropped || report.outcome == Outcome::kConnectFailed) {
      return kExitTransport;
    }
    rejected = rejected || report.outcome == Outcome::kRejected;
  }
  return rejected ? kExitRejected : kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  bool help = false;
  if (!parse_options(argc, argv, options, help)) {
    print_usage(stderr);
    return kExitUsage;
  }
  if (help) {
    print_usage(stdout);
    return kExitOk;
  }
  std::vector<std::string> keys;
  if (!read_keys(options.keys_file, keys)) {
    return kExitUsage;
  }
  if (keys.size() < options.publishers) {
    std::fprintf(stderr, "error: %s has %zu keys, %u publishers need one each\n",
                 options.keys_file.c_str(), keys.size(), options.publishers);
    return kExitUsage;
  }
  Source source;
  auto read = looplive::media::read_flv_file(options.flv_file);
  if (!read) {
    std::fprintf(stderr, "error: %s\n", read.error().message.c_str());
    return kExitUsage;
  }
  source.tags = std::move(*read);
  source.first_timestamp_ms = looplive::tools::min_timestamp_ms(source.tags);
  source.period_ms = looplive::tools::loop_period_ms(source.tags);
  for (const FlvTag& tag : source.tags) {
    source.pass_bytes += tag.body.size();
  }

  looplive::tools::init_librtmp(options.verbose);
  std::signal(SIGINT, handle_interrupt);
  std::signal(SIGTERM, handle_interrupt);

  std::printf("loadgen publishers=%u seconds=%.1f file=%s tags=%zu period_ms=%u\n",
              options.publishers, options.seconds, options.flv_file.c_str(), source.tags.size(),
              source.period_ms);
  std::fflush(stdout);

  std::vector<PublisherReport> reports(options.publishers);
  std::vector<std::thread> threads;
  threads.reserve(options.publishers);
  for (size_t i = 0; i < reports.size(); ++i) {
    reports[i].key = keys[i];
    try {
      threads.emplace_back(run_publisher, std::cref(source), std::cref(options), i,
                           std::ref(reports[i]));
    } catch (const std::system_error& e) {
      reports[i].outcome = Outcome::kConnectFailed;
      reports[i].detail = std::string("cannot start thread: ") + e.what();
    }
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  print_report(source, reports);
  return exit_status(reports);
}
