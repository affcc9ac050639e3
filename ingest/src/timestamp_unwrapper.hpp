#pragma once

#include <cstdint>

namespace looplive::ingest {

// RTMP timestamps are 32-bit milliseconds and wrap after 49.7 days; some
// encoders also wrap at 2^31 or jump back a little. Each step is read as the
// signed 32-bit difference from the previous timestamp, so a wrap continues
// the 64-bit timeline and a small backward step stays a small backward step
// (the packager repairs those).
class TimestampUnwrapper {
 public:
  int64_t unwrap(uint32_t timestamp) {
    if (!started_) {
      started_ = true;
      last_ = timestamp;
      value_ = timestamp;
      return value_;
    }
    value_ += static_cast<int32_t>(timestamp - last_);
    last_ = timestamp;
    return value_;
  }

  bool started() const { return started_; }
  int64_t current() const { return value_; }

 private:
  bool started_ = false;
  uint32_t last_ = 0;
  int64_t value_ = 0;
};

}  // namespace looplive::ingest
