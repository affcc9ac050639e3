#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "looplive/core/ladder_choice.hpp"
#include "looplive/core/product_tag.hpp"

namespace looplive::core {

struct PublishRequest {
  std::string app;             // RTMP application ("live")
  std::string key;             // the publish name: the secret stream key
  std::string remote_address;  // "ip:port" of the encoder
};

enum class AdmissionVerdict {
  accepted,
  unknown_key,  // no stream has this key
  not_armed,    // the key exists but was revoked or the stream has ended
  unavailable,  // the key store could not be asked (database down): refuse, never accept blindly
  elsewhere,    // another server sharing the key store holds the stream (its publisher is there)
};

struct AdmissionResult {
  AdmissionVerdict verdict = AdmissionVerdict::unavailable;
  std::string stream_id;               // set when accepted
  bool record = false;                 // whether the stream is recorded for replay
  std::string detail;                  // why, for the log (never contains the key)
  std::optional<LadderChoice> ladder;  // the stream's own, when accepted
  // A stream this process resumes after another run (a restart): the tags
  // placed before, so its live playlists keep the cards still on screen.
  std::shared_ptr<const std::vector<ProductTag>> earlier_tags;
};

// Decides whether a publisher may go live. Implementations do their blocking
// work off the I/O threads and call `done` from any thread, exactly once.
class Admission {
 public:
  virtual ~Admission() = default;
  virtual void check(PublishRequest request, std::function<void(AdmissionResult)> done) = 0;
};

}  // namespace looplive::core
