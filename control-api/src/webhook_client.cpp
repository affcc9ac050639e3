#include "webhook_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace looplive::control_api {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;

std::optional<HttpUrl> parse_http_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return std::nullopt;
  url.remove_prefix(kScheme.size());
  HttpUrl out;
  const auto path_at = url.find_first_of("/?");
  std::string_view authority = url.substr(0, path_at);
  if (path_at != std::string_view::npos) {
    out.target = std::string(url.substr(path_at));
    if (out.target.front() == '?') out.target.insert(0, "/");
  }
  if (authority.find('@') != std::string_view::npos) return std::nullopt;
  std::string_view port;
  if (authority.starts_with("[")) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return std::nullopt;
      port = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return std::nullopt;
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos)
      return std::nullopt;
    out.port = std::string(port);
  }
  return out;
}

namespace {

// Runs the io_context until its work is done, a deadline passes or `stop`
// turns true; false when it had to be cut short.
bool run_until(net::io_context& io, const std::atomic<bool>& stop,
               std::chrono::steady_clock::time_point deadline) {
  while (!io.stopped()) {
    if (stop.load() || std::chrono::steady_clock::now() >= deadline) {
      io.stop();
      return false;
    }
    io.run_for(std::chrono::milliseconds(50));
  }
  return true;
}

}  // namespace

PostResult http_post(const HttpUrl& url, const std::string& body,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     std::chrono::milliseconds connect_timeout, std::chrono::milliseconds timeout,
                     const std::atomic<bool>& stop) {
  net::io_context io;
  net::ip::tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  beast::flat_buffer buffer;
  bhttp::request<bhttp::string_body> request(bhttp::verb::post, url.target, 11);
  request.set(bhttp::field::host, url.host + (url.port == "80" ? "" : ":" + url.port));
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = body;
  request.prepare_payload();
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024);  // only the status matters; a huge body is not read

  PostResult result;
  const auto fail = [&](error_code ec, const char* what) {
    result.error = std::string(what) + ": " + ec.message();
  };
  using Endpoints = net::ip::tcp::resolver::results_type;
  resolver.async_resolve(url.host, url.port, [&](error_code ec, Endpoints endpoints) {
    if (ec) return fail(ec, "resolve");
    stream.expires_after(connect_timeout);
    stream.async_connect(endpoints, [&](error_code ec, const net::ip::tcp::endpoint&) {
      if (ec) return fail(ec, "connect");
      stream.expires_after(timeout);
      bhttp::async_write(stream, request, [&](error_code ec, size_t) {
        if (ec) return fail(ec, "send");
        bhttp::async_read(stream, buffer, parser, [&](error_code ec, size_t) {
          if (ec && ec != bhttp::error::body_limit) return fail(ec, "response");
          result.status = static_cast<int>(parser.get().result_int());
        });
      });
    });
  });
  const auto deadline =
      std::chrono::steady_clock::now() + connect_timeout + timeout + std::chrono::milliseconds(500);
  if (!run_until(io, stop, deadline) && result.error.empty())
    result.error = stop.load() ? "stopped" : "timed out";
  error_code ignored;
  stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  if (result.error.empty() && (result.status < 200 || result.status > 299))
    result.error = "HTTP " + std::to_string(result.status);
  return result;
}

}  // namespace looplive::control_api
