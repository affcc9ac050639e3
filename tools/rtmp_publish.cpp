// rtmp_publish: publishes an FLV file to an RTMP server the way an encoder would.
//
// Usage:
//   rtmp_publish [--realtime|--fast] [--loop N] [--hold-ms N] [--chunk-size N] [--verbose]
//                URL FILE.flv
//
//   URL          rtmp://HOST:PORT/APP/STREAM_KEY, e.g. rtmp://127.0.0.1:1935/live/sk_abc
//   --realtime   send each tag when the wall clock reaches its timestamp, counted
//                from the first tag (default)
//   --fast       send as fast as the connection accepts
//   --loop N     send the file N times (default 1); timestamps keep increasing
//                across passes, onMetaData is only sent on the first pass and an
//                AVC end-of-sequence tag only on the last
//   --hold-ms N  after the last tag, stay connected N ms, sending nothing, before
//                closing (an encoder paused mid-stream); prints "holding" when it starts
//   --verbose    print librtmp's debug log and every status the server sends
//   --chunk-size N  announce and send chunks of N bytes (Set Chunk Size) once
//                publishing, as OBS (4096) does; librtmp's 128 otherwise
//   --print-start  print "start unix=<seconds>" on stdout when sending begins:
//                the wall-clock time the first tag's timestamp stands for
//
// After connecting it waits up to 5 s for NetStream.Publish.Start, and keeps
// reading the socket while sending, so a refusal or a server-side close is
// reported instead of going unnoticed.
//
// Output: on success one line on stdout,
//   published tags=<n> video=<n> audio=<n> bytes=<n> seconds=<s>
// where bytes counts tag payloads; the same line follows a dropped connection.
//
// Exit status:
//   0  every tag was written and the connection was closed cleanly
//   1  usage error, unreadable or invalid FLV file, unparsable URL
//   2  the server refused: an error onStatus (e.g. NetStream.Publish.BadName),
//      an _error answer to connect/createStream/publish, a close before
//      NetStream.Publish.Start, or no answer within 5 s; printed on stderr as
//      "rejected: <code>: <description>"
//   3  transport failure: could not connect or handshake, or the connection
//      dropped after publishing started

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
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
constexpr auto kPublishTimeout = std::chrono::seconds(5);

struct Options {
  bool realtime = true;
  uint32_t loops = 1;
  uint32_t hold_ms = 0;
  uint32_t chunk_size = 0;  // 0: librtmp's default
  bool verbose = false;
  bool print_start = false;
  std::string url;
  std::string file;
};

struct Totals {
  uint64_t tags = 0;
  uint64_t video = 0;
  uint64_t audio = 0;
  uint64_t bytes = 0;
};

void print_usage(std::FILE* out) {
  std::fprintf(out,
               "usage: rtmp_publish [--realtime|--fast] [--loop N] [--hold-ms N] [--chunk-size N] "
               "[--verbose] "
               "[--print-start] URL "
               "FILE.flv\n"
               "  URL like rtmp://127.0.0.1:1935/live/sk_xxx\n"
               "exit: 0 ok, 1 usage/file error, 2 refused by server, 3 connection failed or "
               "dropped\n");
}

bool parse_count(std::string_view text, uint32_t& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && out > 0;
}

// Returns false (after printing why) when the command line is unusable.
bool parse_options(int argc, char** argv, Options& options, bool& help) {
  std::vector<std::string_view> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      help = true;
      return true;
    } else if (arg == "--realtime") {
      options.realtime = true;
    } else if (arg == "--fast") {
      options.realtime = false;
    } else if (arg == "--verbose" || arg == "-v") {
      options.verbose = true;
    } else if (arg == "--print-start") {
      options.print_start = true;
    } else if (arg == "--loop") {
      if (i + 1 >= argc || !parse_count(argv[i + 1], options.loops)) {
        std::fprintf(stderr, "error: --loop needs a positive integer\n");
        return false;
      }
      ++i;
    } else if (arg == "--hold-ms") {
      if (i + 1 >= argc || !parse_count(argv[i + 1], options.hold_ms)) {
        std::fprintf(stderr, "error: --hold-ms needs a positive integer\n");
        return false;
      }
      ++i;
    } else if (arg == "--chunk-size") {
      if (i + 1 >= argc || !parse_count(argv[i + 1], options.chunk_size) ||
          options.chunk_size < 128 || options.chunk_size > 0x7FFFFFFF) {
        std::fprintf(stderr, "error: --chunk-size needs an integer of 128 or more\n");
        return false;
      }
      ++i;
    } else if (arg.size() > 1 && arg[0] == '-') {
      std::fprintf(stderr, "error: unknown option %s\n", argv[i]);
      return false;
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() != 2) {
    std::fprintf(stderr, "error: expected URL and FILE.flv\n");
    return false;
  }
  options.url = positional[0];
  options.file = positional[1];
  return true;
}

void print_summary(const Totals& totals, Clock::time_point start, Clock::time_point end) {
  const double seconds = std::chrono::duration<double>(end - start).count();
  std::printf("published tags=%llu video=%llu audio=%llu bytes=%llu seconds=%.3f\n",
              static_cast<unsigned long long>(totals.tags),
              static_cast<unsigned long long>(totals.video),
              static_cast<unsigned long long>(totals.audio),
              static_cast<unsigned long long>(totals.bytes), seconds);
  std::fflush(stdout);
}

int report_rejection(const RtmpPublisher& publisher) {
  const std::string reason =
      publisher.server_error() ? publisher.server_error()->text() : publisher.error();
  std::fprintf(stderr, "rejected: %s\n", reason.c_str());
  return kExitRejected;
}

int publish(const Options& options, const std::vector<FlvTag>& tags) {
  RtmpPublisher publisher(options.url);
  switch (publisher.open(kPublishTimeout)) {
    case OpenResult::kPublishing:
      break;
    case OpenResult::kInvalidUrl:
      std::fprintf(stderr, "error: %s: %s\n", options.url.c_str(), publisher.error().c_str());
      return kExitUsage;
    case OpenResult::kRejected:
      return report_rejection(publisher);
    case OpenResult::kTransportError:
      std::fprintf(stderr, "error: cannot connect to %s: %s\n", options.url.c_str(),
                   publisher.error().c_str());
      return kExitTransport;
  }

  if (options.chunk_size != 0 && !publisher.set_chunk_size(options.chunk_size)) {
    std::fprintf(stderr, "error: Set Chunk Size: %s\n", publisher.error().c_str());
    return kExitTransport;
  }
  const uint32_t first_timestamp = looplive::tools::min_timestamp_ms(tags);
  const uint32_t period = looplive::tools::loop_period_ms(tags);
  Totals totals;
  const Clock::time_point start = Clock::now();
  if (options.print_start) {
    const auto unix_us = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    std::printf("start unix=%.6f\n", static_cast<double>(unix_us.count()) / 1e6);
    std::fflush(stdout);
  }
  bool alive = true;
  for (uint32_t pass = 0; pass < options.loops && alive; ++pass) {
    const uint64_t offset = uint64_t{pass} * period;
    for (const FlvTag& tag : tags) {
      // Metadata describes the file as a whole and end-of-sequence ends the
      // stream; either one mid-stream tells a server the stream restarted.
      if ((pass > 0 && tag.type == looplive::media::kFlvTagScript) ||
          (pass + 1 < options.loops && looplive::media::is_end_of_sequence(tag))) {
        continue;
      }
      const uint64_t media_ms = offset + (tag.timestamp_ms - first_timestamp);
      if (options.realtime) {
        alive = publisher.wait_until(start + std::chrono::milliseconds(media_ms));
      } else {
        alive = publisher.poll();
      }
      if (!alive) {
        break;
      }
      alive = publisher.write(tag, static_cast<uint32_t>(tag.timestamp_ms + offset));
      if (!alive) {
        break;
      }
      ++totals.tags;
      totals.bytes += tag.body.size();
      if (tag.type == looplive::media::kFlvTagVideo) {
        ++totals.video;
      } else if (tag.type == looplive::media::kFlvTagAudio) {
        ++totals.audio;
      }
    }
  }
  const Clock::time_point end = Clock::now();
  if (alive && options.hold_ms > 0) {
    std::printf("holding\n");
    std::fflush(stdout);
    alive = publisher.wait_until(Clock::now() + std::chrono::milliseconds(options.hold_ms));
  }
  // poll() first: a server that went away while the last tags sat in socket
  // buffers would otherwise look like one that closed in answer to our FIN.
  if (alive) {
    alive = publisher.poll() && publisher.finish();
  }
  if (!alive) {
    std::string reason = publisher.error();
    if (publisher.server_error()) {
      reason += " after server status " + publisher.server_error()->text();
    }
    std::fprintf(stderr, "error: connection dropped after %llu tags: %s\n",
                 static_cast<unsigned long long>(totals.tags), reason.c_str());
    print_summary(totals, start, end);
    return kExitTransport;
  }
  print_summary(totals, start, end);
  return kExitOk;
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
  std::vector<FlvTag> tags;
  auto read = looplive::media::read_flv_file(options.file);
  if (!read) {
    std::fprintf(stderr, "error: %s\n", read.error().message.c_str());
    return kExitUsage;
  }
  tags = std::move(*read);
  looplive::tools::init_librtmp(options.verbose);
  return publish(options, tags);
}
