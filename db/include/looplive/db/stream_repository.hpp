#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "looplive/db/database.hpp"

namespace looplive::db {

enum class StreamStatus { ready, live, reconnecting, ended };
std::string_view status_name(StreamStatus status);
// The inverse of status_name; nothing for a name that is not a status.
std::optional<StreamStatus> parse_status(std::string_view name);

// create() with an id that another stream already has.
class AlreadyExists : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// set_status() or revoke_keys() on a stream that does not exist.
class NotFound : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// set_status() on a stream that has ended: ended is final.
class InvalidTransition : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

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
// Unavailable when the database cannot be reached. Stream ids are UUIDs in
// canonical 8-4-4-4-12 form; a malformed one is std::invalid_argument, except
// in find(), where it simply matches nothing.
class StreamRepository {
 public:
  explicit StreamRepository(Database& database) : database_(database) {}

  // Creates a stream in status ready with a fresh key. `id` is generated when
  // empty. Throws AlreadyExists for a taken id, std::invalid_argument for a
  // malformed id or metadata that is not a JSON object.
  CreatedStream create(const std::optional<std::string>& id, bool record,
                       const std::string& metadata_json = "{}");
  std::optional<StreamRecord> find(const std::string& id);
  std::optional<KeyMatch> find_by_key(std::string_view key);
  // Records a transition (and its timestamp) in streams and stream_events:
  // started_at on first going live, ended_at on ending. Setting the current
  // status again changes nothing. Throws NotFound, or InvalidTransition when
  // the stream has ended.
  void set_status(const std::string& id, StreamStatus status, const std::string& reason);
  // Every key of the stream stops admitting publishers. Throws NotFound.
  void revoke_keys(const std::string& stream_id);

 private:
  Database& database_;
};

}  // namespace looplive::db
