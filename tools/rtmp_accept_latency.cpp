// rtmp_accept_latency: how long a publisher waits to be let in.
//
//   rtmp_accept_latency --count N URL
//
// Opens N publishes one after another (TCP connect, handshake, connect,
// createStream, publish) and measures each from the start of the TCP connect
// to NetStream.Publish.Start, which includes the server's stream key check.
// Each publish is closed at once. Prints one line:
//   accept_ms count=<n> refused=<n> p50=<ms> p90=<ms> p99=<ms> max=<ms>
// Exit status: 0 when every publish was accepted, 2 when any was refused, 1 on usage errors.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "percentile.hpp"
#include "rtmp_publisher.hpp"

using namespace looplive::tools;

int main(int argc, char** argv) {
  if (argc != 4 || std::string(argv[1]) != "--count") {
    std::fprintf(stderr, "usage: rtmp_accept_latency --count N URL\n");
    return 1;
  }
  int count = std::atoi(argv[2]);
  std::string url = argv[3];
  if (count <= 0) {
    std::fprintf(stderr, "error: --count needs a positive integer\n");
    return 1;
  }
  init_librtmp(false);
  std::vector<double> accepted_ms;
  int refused = 0;
  for (int i = 0; i < count; ++i) {
    RtmpPublisher publisher(url);
    auto start = Clock::now();
    auto result = publisher.open(std::chrono::seconds(5));
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (result == OpenResult::kPublishing) {
      accepted_ms.push_back(ms);
      publisher.finish(std::chrono::milliseconds(500));
    } else {
      ++refused;
      if (refused == 1) std::fprintf(stderr, "refused: %s\n", publisher.error().c_str());
    }
  }
  std::sort(accepted_ms.begin(), accepted_ms.end());
  std::printf("accept_ms count=%zu refused=%d p50=%.2f p90=%.2f p99=%.2f max=%.2f\n",
              accepted_ms.size(), refused, percentile(accepted_ms, 0.5),
              percentile(accepted_ms, 0.9), percentile(accepted_ms, 0.99),
              accepted_ms.empty() ? 0 : accepted_ms.back());
  return refused ? 2 : 0;
}
