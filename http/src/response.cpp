#include "looplive/http/response.hpp"

namespace looplive::http {

Response::Response(boost::beast::http::status status, Body body, std::string_view content_type)
    : status(status), body(std::move(body)) {
  if (!content_type.empty()) headers.set(boost::beast::http::field::content_type, content_type);
}

}  // namespace looplive::http
