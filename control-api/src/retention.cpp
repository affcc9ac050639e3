#include "retention.hpp"

#include <boost/asio/post.hpp>

#include "stream_media.hpp"

namespace looplive::control_api {
namespace {

// Streams deleted per pass: a backlog drains over passes, never in one long one.
constexpr size_t kStreamsPerPass = 100;

}  // namespace

Retention::Retention(boost::asio::io_context& io, Context& context)
    : context_(context), timer_(io) {}

void Retention::start() {
  const auto& retention = context_.settings.retention;
  if (retention.webhooks.count() == 0 && retention.ended_streams.count() == 0) return;
  arm();
}

void Retention::stop() {
  stopping_ = true;
  boost::asio::post(timer_.get_executor(), [this] { timer_.cancel(); });
}

void Retention::arm() {
  timer_.expires_after(context_.settings.retention.check_interval);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopping_) return;
    boost::asio::post(context_.deps.blocking, [this] {
      if (stopping_) return;
      prune();
      boost::asio::post(timer_.get_executor(), [this] {
        if (!stopping_) arm();
      });
    });
  });
}

void Retention::prune() {
  const auto& retention = context_.settings.retention;
  try {
    if (retention.webhooks.count() > 0) {
      if (const uint64_t pruned = context_.deps.webhook_queue.prune(retention.webhooks))
        context_.log->info("retention: {} webhook deliveries deleted", pruned);
    }
    if (retention.ended_streams.count() > 0) {
      for (const auto& id :
           context_.deps.streams.ended_before(retention.ended_streams, kStreamsPerPass)) {
        delete_ended_stream(context_, id);
        context_.log->info("retention: {} deleted with its media", core::log_context(id));
      }
    }
  } catch (const std::exception& error) {
    context_.log->warn("retention: {}; trying again at the next pass", error.what());
  }
}

}  // namespace looplive::control_api
