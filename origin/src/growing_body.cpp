#include "growing_body.hpp"

#include <utility>

namespace looplive::origin {

GrowingBody::GrowingBody(const LiveSource& source, HeldRequests& held, std::string stream_id,
                         std::string file, std::chrono::milliseconds chunk_wait)
    : source_(source),
      held_(held),
      stream_id_(std::move(stream_id)),
      file_(std::move(file)),
      chunk_wait_(chunk_wait) {}

http::StreamBody GrowingBody::body(std::shared_ptr<GrowingBody> growing) {
  return http::StreamBody{
      [growing = std::move(growing)](http::ChunkSink sink) { growing->next(std::move(sink)); }};
}

void GrowingBody::next(http::ChunkSink sink) {
  if (offer(sink, source_)) return;
  auto self = shared_from_this();
  held_.hold(
      stream_id_, HeldRequests::Clock::now() + chunk_wait_,
      [self, sink](const LiveSource& now) { return self->offer(sink, now); },
      [sink] {
        sink({{}, false, true});
      });
}

bool GrowingBody::offer(const http::ChunkSink& sink, const LiveSource& source) {
  const auto file = source.growing(stream_id_, file_);
  if (!file) {
    sink({{}, false, true});  // the stream went another way
    return true;
  }
  uint64_t offset = 0;
  for (size_t i = 0; i < file->chunks.size(); ++i) {
    const core::SharedBytes& chunk = file->chunks[i];
    const uint64_t end = offset + chunk.size();
    if (end > sent_) {
      core::SharedBytes rest = chunk.slice(size_t(sent_ - offset));
      sent_ = end;
      sink({std::move(rest), file->complete && i + 1 == file->chunks.size(), false});
      return true;
    }
    offset = end;
  }
  if (offset < sent_) {
    sink({{}, false, true});  // shorter than what was sent: never the same segment
    return true;
  }
  if (!file->complete) return false;
  sink({{}, true, false});
  return true;
}

}  // namespace looplive::origin
