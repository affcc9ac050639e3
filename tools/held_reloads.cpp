// held_reloads: thousands of LL-HLS viewers blocked on the same part of one
// live show, read by a client fast enough not to be what is measured.
//
//   held_reloads --port PORT --stream ID [--connections 5000] [--rounds 10]
//                [--playlist video.m3u8]
//
// Opens N keep-alive connections to the origin on 127.0.0.1:PORT, from
// loopback source addresses spread over 127.x.y.z (so a per-address cap does
// not apply), then, round after round, reads the playlist's preload hint on
// one more connection and has every connection ask for that part with a
// blocking reload (_HLS_msn/_HLS_part), all requests written before any answer
// is read. The origin holds them and answers when the part exists. Each answer
// is timed when its last byte is read (one thread, epoll through Asio).
//
// Prints one line per round, then a summary line:
//   round=<i> first_ms=<wait for the part> spread_ms=<last answer - first> p99_ms=<...> bad=<n>
//   summary connections=<n> rounds=<n> first_ms_median=<> spread_ms_median=<>
//           spread_ms_p99=<> spread_ms_max=<> answer_lag_p50=<> answer_lag_p99=<> bad=<n>
// answer_lag: every answer's time after its round's first answer, over all rounds.
// A bad answer is anything but a 200 whose playlist lists the part asked for.
// Exit status: 0 when every answer was good, 2 when some were bad, 1 on usage
// or connection errors.
#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "percentile.hpp"

namespace net = boost::asio;
using net::ip::tcp;
using Clock = std::chrono::steady_clock;
using looplive::tools::percentile;

namespace {

struct Options {
  unsigned short port = 0;
  std::string stream;
  std::string playlist = "video.m3u8";
  int connections = 5000;
  int rounds = 10;
};

double ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// The same spread of source addresses as the Python benches: 250 per /24.
net::ip::address_v4 source_address(int index) {
  const auto a = static_cast<unsigned>(1 + index / 60000);
  const auto b = static_cast<unsigned>((index / 250) % 240 + 1);
  const auto c = static_cast<unsigned>(index % 250 + 1);
  return net::ip::address_v4((127u << 24) | (a << 16) | (b << 8) | c);
}

// Status and body of one HTTP/1.1 answer with a Content-Length.
struct Answer {
  int status = 0;
  std::string body;
};

// Splits `head` (through the blank line) into status and Content-Length.
bool parse_head(std::string_view head, int& status, size_t& length) {
  if (head.size() < 12 || head.substr(0, 5) != "HTTP/") return false;
  if (std::from_chars(head.data() + 9, head.data() + 12, status).ec != std::errc()) return false;
  length = 0;
  size_t at = 0;
  while ((at = head.find("\r\n", at)) != std::string_view::npos) {
    at += 2;
    constexpr std::string_view kLength = "content-length:";
    if (head.size() - at < kLength.size()) break;
    std::string name(head.substr(at, kLength.size()));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (name == kLength) {
      size_t from = at + kLength.size();
      while (from < head.size() && head[from] == ' ') ++from;
      std::from_chars(head.data() + from, head.data() + head.size(), length);
    }
  }
  return true;
}

std::string request_for(const std::string& target) {
  return "GET " + target + " HTTP/1.1\r\nHost: origin\r\n\r\n";
}

// A blocking GET on the probe connection.
Answer fetch(tcp::socket& socket, net::streambuf& buffer, const std::string& target) {
  net::write(socket, net::buffer(request_for(target)));
  const size_t head_size = net::read_until(socket, buffer, "\r\n\r\n");
  Answer answer;
  size_t length = 0;
  std::string head(net::buffers_begin(buffer.data()),
                   net::buffers_begin(buffer.data()) + static_cast<ptrdiff_t>(head_size));
  buffer.consume(head_size);
  if (!parse_head(head, answer.status, length)) throw std::runtime_error("bad answer: " + head);
  if (buffer.size() < length)
    net::read(socket, buffer, net::transfer_exactly(length - buffer.size()));
  answer.body.assign(net::buffers_begin(buffer.data()),
                     net::buffers_begin(buffer.data()) + static_cast<ptrdiff_t>(length));
  buffer.consume(length);
  return answer;
}

// One viewer's connection: writes the round's request, reads its answer.
class Viewer {
 public:
  explicit Viewer(net::io_context& io) : socket_(io) {}

  void connect(const tcp::endpoint& origin, int index) {
    socket_.open(tcp::v4());
    socket_.bind(tcp::endpoint(source_address(index), 0));
    socket_.connect(origin);
    socket_.set_option(tcp::no_delay(true));
  }

  void ask(const std::string& request, const std::string& wanted) {
    wanted_ = &wanted;
    good_ = false;
    answered_ = {};
    net::async_write(socket_, net::buffer(request), [this](boost::system::error_code ec, size_t) {
      if (ec) return fail();
      read_head();
    });
  }

  bool answered() const { return answered_ != Clock::time_point{}; }
  Clock::time_point answered_at() const { return answered_; }
  bool good() const { return good_; }

 private:
  void read_head() {
    net::async_read_until(
        socket_, buffer_, "\r\n\r\n", [this](boost::system::error_code ec, size_t head_size) {
          if (ec) return fail();
          std::string head(net::buffers_begin(buffer_.data()),
                           net::buffers_begin(buffer_.data()) + static_cast<ptrdiff_t>(head_size));
          buffer_.consume(head_size);
          size_t length = 0;
          if (!parse_head(head, status_, length)) return fail();
          read_body(length);
        });
  }

  void read_body(size_t length) {
    const size_t missing = buffer_.size() < length ? length - buffer_.size() : 0;
    net::async_read(socket_, buffer_, net::transfer_exactly(missing),
                    [this, length](boost::system::error_code ec, size_t) {
                      if (ec) return fail();
                      answered_ = Clock::now();
                      const std::string_view body(static_cast<const char*>(buffer_.data().data()),
                                                  length);
                      good_ = status_ == 200 && body.find(*wanted_) != std::string_view::npos;
                      buffer_.consume(length);
                    });
  }

  void fail() {
    answered_ = Clock::now();
    good_ = false;
  }

  tcp::socket socket_;
  net::streambuf buffer_;
  const std::string* wanted_ = nullptr;
  int status_ = 0;
  bool good_ = false;
  Clock::time_point answered_{};
};

bool parse_int(const char* text, int& out) {
  const std::string_view view(text);
  return std::from_chars(view.data(), view.data() + view.size(), out).ec == std::errc() && out > 0;
}

bool parse_options(int argc, char** argv, Options& options) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view arg = argv[i];
    int value = 0;
    if (arg == "--port" && parse_int(argv[i + 1], value) && value < 65536) {
      options.port = static_cast<unsigned short>(value);
    } else if (arg == "--stream") {
      options.stream = argv[i + 1];
    } else if (arg == "--playlist") {
      options.playlist = argv[i + 1];
    } else if (arg == "--connections" && parse_int(argv[i + 1], value)) {
      options.connections = value;
    } else if (arg == "--rounds" && parse_int(argv[i + 1], value)) {
      options.rounds = value;
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && options.port != 0 && !options.stream.empty();
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse_options(argc, argv, options)) {
    std::fprintf(stderr,
                 "usage: held_reloads --port PORT --stream ID [--connections N] [--rounds N] "
                 "[--playlist video.m3u8]\n");
    return 1;
  }
  const std::string playlist = "/live/" + options.stream + "/" + options.playlist;
  const std::regex hint(
      R"re(#EXT-X-PRELOAD-HINT:TYPE=PART,URI="(([a-z0-9]+)_(\d+)_p(\d+)\.m4s)")re");
  try {
    net::io_context io;
    const tcp::endpoint origin(net::ip::address_v4::loopback(), options.port);
    std::vector<std::unique_ptr<Viewer>> viewers;
    viewers.reserve(static_cast<size_t>(options.connections));
    for (int i = 0; i < options.connections; ++i) {
      viewers.push_back(std::make_unique<Viewer>(io));
      viewers.back()->connect(origin, i);
    }
    tcp::socket probe(io);
    probe.open(tcp::v4());
    probe.bind(tcp::endpoint(source_address(options.connections), 0));
    probe.connect(origin);
    net::streambuf probe_buffer;

    std::vector<double> firsts, spreads, lags;
    int bad_total = 0;
    for (int round = 0; round < options.rounds; ++round) {
      const Answer current = fetch(probe, probe_buffer, playlist);
      std::smatch found;
      if (current.status != 200 || !std::regex_search(current.body, found, hint)) {
        std::fprintf(stderr, "error: no preload hint in %s (status %d)\n", playlist.c_str(),
                     current.status);
        return 1;
      }
      const std::string wanted = found[1].str();
      const std::string request =
          request_for(playlist + "?_HLS_msn=" + found[3].str() + "&_HLS_part=" + found[4].str());
      const Clock::time_point sent = Clock::now();
      for (auto& viewer : viewers) viewer->ask(request, wanted);
      io.restart();
      io.run();
      Clock::time_point first = Clock::time_point::max(), last{};
      int bad = 0;
      for (const auto& viewer : viewers) {
        first = std::min(first, viewer->answered_at());
        last = std::max(last, viewer->answered_at());
        if (!viewer->good()) ++bad;
      }
      std::vector<double> round_lags;
      for (const auto& viewer : viewers) round_lags.push_back(ms(viewer->answered_at() - first));
      lags.insert(lags.end(), round_lags.begin(), round_lags.end());
      firsts.push_back(ms(first - sent));
      spreads.push_back(ms(last - first));
      bad_total += bad;
      std::printf("round=%d first_ms=%.1f spread_ms=%.1f p99_ms=%.1f bad=%d\n", round,
                  firsts.back(), spreads.back(), percentile(round_lags, 0.99), bad);
      std::fflush(stdout);
    }
    std::printf(
        "summary connections=%d rounds=%d first_ms_median=%.1f spread_ms_median=%.1f "
        "spread_ms_p99=%.1f spread_ms_max=%.1f answer_lag_p50=%.1f answer_lag_p99=%.1f bad=%d\n",
        options.connections, options.rounds, percentile(firsts, 0.5), percentile(spreads, 0.5),
        percentile(spreads, 0.99), percentile(spreads, 1.0), percentile(lags, 0.5),
        percentile(lags, 0.99), bad_total);
    return bad_total == 0 ? 0 : 2;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "error: %s\n", error.what());
    return 1;
  }
}
