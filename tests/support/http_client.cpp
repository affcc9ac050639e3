#include "http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace looplive::test {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

struct HttpClient::Connection {
  boost::asio::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
};

HttpClient::HttpClient(uint16_t port) : port_(port) {}
HttpClient::~HttpClient() = default;

HttpReply HttpClient::get(const std::string& target, std::chrono::milliseconds timeout) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = connection_ != nullptr;
    try {
      if (!connection_) {
        connection_ = std::make_unique<Connection>();
        connection_->stream.expires_after(timeout);
        connection_->stream.connect(
            tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port_));
      }
      Connection& c = *connection_;
      c.stream.expires_after(timeout);
      bhttp::request<bhttp::empty_body> request(bhttp::verb::get, target, 11);
      request.set(bhttp::field::host, "127.0.0.1");
      bhttp::write(c.stream, request);
      bhttp::response<bhttp::string_body> response;
      bhttp::read(c.stream, c.buffer, response);
      HttpReply reply{int(response.result_int()), std::move(response.body())};
      if (!response.keep_alive()) connection_.reset();
      return reply;
    } catch (const std::exception&) {
      connection_.reset();
      // A kept connection the server closed meanwhile: one fresh try.
      if (!reused) break;
    }
  }
  return {};
}

ManifestWatcher::ManifestWatcher(uint16_t port, std::string stream_id,
                                 std::vector<std::string> files,
                                 std::chrono::milliseconds interval) {
  thread_ =
      std::thread([this, port, id = std::move(stream_id), files = std::move(files), interval] {
        HttpClient client(port);
        while (!stopping_.load()) {
          for (const auto& file : files) {
            HttpReply reply = client.get("/live/" + id + "/" + file);
            if (reply.status == 0) continue;
            std::lock_guard lock(mutex_);
            checker_.feed(file, reply.status, reply.body);
          }
          std::this_thread::sleep_for(interval);
        }
      });
}

ManifestWatcher::~ManifestWatcher() {
  stop();
}

void ManifestWatcher::stop() {
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> ManifestWatcher::problems() {
  std::lock_guard lock(mutex_);
  return checker_.problems();
}

size_t ManifestWatcher::versions(const std::string& file) {
  std::lock_guard lock(mutex_);
  return checker_.versions(file);
}

}  // namespace looplive::test
