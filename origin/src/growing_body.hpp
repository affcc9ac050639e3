#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "held_requests.hpp"
#include "looplive/http/response.hpp"
#include "looplive/origin/origin_service.hpp"

namespace looplive::origin {

// Sends a media segment while the packager is still writing it (low-latency
// DASH): each chunk the moment the stream has it, the body ending with the
// segment's last byte. A segment the stream gives up on, or that waits too
// long for its next chunk, breaks the body: the player sees it incomplete
// and asks again, never a short segment it would take for whole.
class GrowingBody : public std::enable_shared_from_this<GrowingBody> {
 public:
  GrowingBody(const LiveSource& source, HeldRequests& held, std::string stream_id, std::string file,
              std::chrono::milliseconds chunk_wait);

  static http::StreamBody body(std::shared_ptr<GrowingBody> growing);

 private:
  void next(http::ChunkSink sink);
  // Hands over what `source` has written since the last chunk; false when
  // nothing new is there yet.
  bool offer(const http::ChunkSink& sink, const LiveSource& source);

  const LiveSource& source_;
  HeldRequests& held_;
  const std::string stream_id_;
  const std::string file_;
  const std::chrono::milliseconds chunk_wait_;
  // Bytes handed over. One offer() at a time: the next is asked for only
  // after the connection has written the last.
  uint64_t sent_ = 0;
};

}  // namespace looplive::origin
