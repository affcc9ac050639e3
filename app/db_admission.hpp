#pragma once

#include <boost/asio/thread_pool.hpp>

#include <functional>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "looplive/core/admission.hpp"
#include "looplive/db/stream_repository.hpp"

namespace looplive::app {

// Admits publishers whose key belongs to a stream that is neither revoked nor
// ended. The lookup runs on the blocking thread pool, and so does `done`; a
// database that cannot be asked means refusal (unavailable), never admission.
// Both the repository and the pool must outlive every pending check.
class DbAdmission : public core::Admission {
 public:
  DbAdmission(db::StreamRepository& streams, boost::asio::thread_pool& pool);

  void check(core::PublishRequest request,
             std::function<void(core::AdmissionResult)> done) override;

 private:
  core::AdmissionResult decide(const core::PublishRequest& request);

  db::StreamRepository& streams_;
  boost::asio::thread_pool& pool_;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace looplive::app
