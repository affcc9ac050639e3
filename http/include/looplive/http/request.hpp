#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace looplive::http {

// One parsed request and where it came from. HEAD reaches handlers as HEAD;
// they answer it as they would GET, and the server leaves the body out.
struct Request {
  boost::beast::http::request<boost::beast::http::string_body> message;
  std::string peer;            // the client's IP address, without the port
  uint64_t connection_id = 0;  // per server, increasing; also in the access log as conn=
  // The connection's: an answer given from work posted here goes out with no
  // hand-over to another thread.
  boost::asio::any_io_executor executor;

  boost::beast::http::verb method() const { return message.method(); }
  std::string_view target() const { return message.target(); }
  std::string_view path() const;   // the target before '?', still percent-encoded
  std::string_view query() const;  // after '?', empty when absent
  // Empty when the field is absent.
  std::string_view header(boost::beast::http::field name) const { return message[name]; }
  std::string_view header(std::string_view name) const { return message[name]; }
};

}  // namespace looplive::http
