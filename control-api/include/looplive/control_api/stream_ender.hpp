#pragma once

#include <functional>
#include <string>

#include "looplive/db/stream_repository.hpp"

namespace looplive::control_api {

struct EndOutcome {
  // still_ending: another server holds the stream and has not ended it in
  // time; it stays asked to, and a later call gets the stored answer.
  enum class Kind { ended, not_found, unavailable, still_ending, failed };
  Kind kind = Kind::failed;
  db::StreamRecord stream;  // as stored, when ended
  std::string message;      // why, when not ended
};

// Ends streams on the API's behalf: disconnects the publisher, revokes the
// key, finalizes the recording and stores the outcome, on whichever server
// sharing the database holds the stream. Implemented by the application's
// stream lifecycle.
class StreamEnder {
 public:
  virtual ~StreamEnder() = default;
  // `done` is called exactly once, from any thread. Ending an ended stream
  // answers what was stored the first time.
  virtual void end(const std::string& stream_id, std::function<void(EndOutcome)> done) = 0;
  // Asks the server holding the stream, when another one, to disconnect its
  // publisher (through the database, within about a second; blocks on it).
  virtual void disconnect_elsewhere(const std::string& stream_id) = 0;
};

}  // namespace looplive::control_api
