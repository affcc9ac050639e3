#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "looplive/db/database.hpp"

namespace looplive::db {

enum class StreamStatus { ready, live, reconnecting, ended };
std::string_view status_name(StreamStatus status);

struct StreamRecord {
  std::string id;  // UUID
  StreamStatus status = StreamStatus::ready;
  bool record = false;
  std::string metadata_json = "{}";
  std::string created_at;  // ISO 8601, UTC
  std::optional<std::string> started_at;
  std::optional<std::string> ended_at;
};

struct CreatedStream {
  StreamRecord stream;
  std::string key;  // in clear: returned to the caller once, never stored
};

// What a stream key unlocks: looked up by the key's SHA-256, never the key.
struct KeyMatch {
  std::string stream_id;
  StreamStatus status = StreamStatus::ready;
  bool record = false;
  bool revoked = false;
};

// Streams and their keys. Every method blocks; every method throws
// Unavailable when the database cannot be reached.
class StreamRepository {
 public:
  explicit StreamRepository(Database& database) : database_(database) {}

  // Creates a stream in status ready with a fresh key. `id` is generated when empty.
  CreatedStream create(const std::optional<std::string>& id, bool record,
                       const std::string& metadata_json = "{}");
  std::optional<StreamRecord> find(const std::string& id);
  std::optional<KeyMatch> find_by_key(std::string_view key);
  // Records a transition (and its timestamp) in streams and stream_events.
  void set_status(const std::string& id, StreamStatus status, const std::string& reason);
  void revoke_keys(const std::string& stream_id);

 private:
  Database& database_;
};

}  // namespace looplive::db
