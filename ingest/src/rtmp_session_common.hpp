#pragma once

// What the parts of RtmpSession (rtmp_session*.cpp) share: limits, the
// logger and the helpers that read what a client sends.

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "amf0.hpp"
#include "looplive/core/client_text.hpp"
#include "looplive/core/log.hpp"
#include "looplive/core/stream_key.hpp"
#include "receive_batching.hpp"

namespace looplive::ingest::session {

constexpr uint32_t kControlChunkStream = 2;
constexpr uint32_t kCommandChunkStream = 3;
// Room for a whole receive batch, so one read takes what a wake-up found.
constexpr size_t kInitialBuffer = ReceiveBatching::kMaxMark;
constexpr size_t kMinFreeSpace = 4096;
// Chunks this small come from encoders that send each one as its own TCP segment.
constexpr uint32_t kSmallChunk = 1024;
constexpr size_t kMaxPendingWhileAdmitting = 256;
constexpr auto kClosingGrace = std::chrono::milliseconds(500);
// Replies are a few hundred bytes at a time; a client that lets this much
// pile up behind a full socket is not reading them (a ping flood, say).
constexpr size_t kMaxQueuedReplies = 64 * 1024;
// What a connection may hold before it is admitted to publish (its receive
// buffer, messages being reassembled or waiting, replies not yet taken), and
// what all such connections may hold together: whatever it sends, a client
// that has not logged in costs no more than this.
constexpr size_t kUnadmittedBudget = 1024 * 1024;
constexpr size_t kAllUnadmittedBudget = 64 * 1024 * 1024;

inline const std::shared_ptr<spdlog::logger>& log() {
  static const auto logger = core::logger("ingest");
  return logger;
}

inline uint32_t read_be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}

inline uint32_t read_be24(const uint8_t* p) {
  return (uint32_t(p[0]) << 16) | (uint32_t(p[1]) << 8) | p[2];
}

// "live", "live/", "live?token=x" all name the application "live".
inline std::string normalize_name(std::string name) {
  if (auto q = name.find('?'); q != std::string::npos) name.resize(q);
  while (!name.empty() && name.back() == '/') name.pop_back();
  return name;
}

inline const amf0::Value* arg(const std::vector<amf0::Value>& values, size_t i) {
  return i < values.size() ? &values[i] : nullptr;
}

// What a client names (application, command, encoder) as it may be logged
// or stored: short, printable, and with any stream key pasted into it (a
// key in OBS's server field: "live/sk_...") cut to its redacted prefix.
constexpr size_t kMaxClientName = 128;
inline std::string loggable(std::string_view text) {
  if (const size_t key = text.find("sk_"); key != std::string_view::npos) {
    return core::client_text(std::string(text.substr(0, key)) + core::redact_key(text.substr(key)),
                             kMaxClientName);
  }
  return core::client_text(text, kMaxClientName);
}

}  // namespace looplive::ingest::session
