#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/status.hpp>

#include "looplive/core/shared_bytes.hpp"

namespace looplive::http {

// Part of a file on disk, sent with sendfile(2). The server opens the file when
// the response is written: a missing file becomes a 404, a range that no longer
// fits the file a 500.
struct FileBody {
  std::string path;
  uint64_t offset = 0;
  std::optional<uint64_t> length;  // nullopt: to the end of the file
};

// One piece of a StreamBody.
struct Chunk {
  core::SharedBytes bytes;  // may be empty
  bool last = false;        // the body ends after these bytes
  // The producer cannot go on: the connection closes without ending the
  // body, so the client sees it incomplete rather than short.
  bool broken = false;
};
using ChunkSink = std::function<void(Chunk)>;

// A body whose bytes are produced while it is being sent (a media segment
// still being written), sent with chunked transfer coding; an HTTP/1.0 client
// gets the bytes as they are and the connection closes after the last. The
// server calls `next` for each piece, after the previous one was written;
// `next` passes the piece to the sink once, from any thread, when it has one.
struct StreamBody {
  std::function<void(ChunkSink)> next;
};

// Generated text, bytes already in memory (sent from that memory, not copied),
// a file, or a body still being produced.
using Body = std::variant<std::string, core::SharedBytes, FileBody, StreamBody>;

// The server sets Content-Length (from the body; none for a StreamBody),
// Date, Server and Connection itself and drops any Transfer-Encoding. A handler may ask for the
// connection to close with "Connection: close". 1xx, 204 and 304 are sent without a body (a 304
// keeps whatever Content-Length the handler chose).
struct Response {
  boost::beast::http::status status = boost::beast::http::status::ok;
  boost::beast::http::fields headers;
  Body body;

  Response() = default;
  Response(boost::beast::http::status status, Body body = std::string(),
           std::string_view content_type = {});
};

}  // namespace looplive::http
