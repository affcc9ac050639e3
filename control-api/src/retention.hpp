#pragma once

#include <boost/asio/io_context.hpp>

#include "context.hpp"
#include "periodic_work.hpp"

namespace looplive::control_api {

// Keeps PostgreSQL (and the media root) from growing for ever: every
// check interval, on the blocking pool, deletes the webhook deliveries
// delivered or abandoned longer ago than the retention, and ended streams
// older than theirs with their media, as DELETE /v1/streams/{id} does.
class Retention {
 public:
  Retention(boost::asio::io_context& io, Context& context);
  void start();
  void stop();  // no prune starts after it; one under way finishes

 private:
  void prune();

  Context& context_;
  PeriodicWork work_;
};

}  // namespace looplive::control_api
