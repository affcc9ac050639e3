#include "retention.hpp"

#include "stream_media.hpp"

namespace looplive::control_api {
namespace {

// Streams deleted per pass: a backlog drains over passes, never in one long one.
constexpr size_t kStreamsPerPass = 100;

}  // namespace

Retention::Retention(boost::asio::io_context& io, Context& context)
    : context_(context),
      work_(io, context.deps.blocking, context.settings.retention.check_interval,
            [this] { prune(); }) {}

void Retention::start() {
  const auto& retention = context_.settings.retention;
  if (retention.webhooks.count() == 0 && retention.ended_streams.count() == 0) return;
  work_.start();
}

void Retention::stop() {
  work_.stop();
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
