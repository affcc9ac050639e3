#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "looplive/core/ladder_choice.hpp"
#include "looplive/db/database.hpp"
#include "looplive/db/webhook_queue.hpp"

namespace looplive::db {

enum class StreamStatus { ready, live, reconnecting, ended };
std::string_view status_name(StreamStatus status);
// The inverse of status_name; nothing for a name that is not a status.
std::optional<StreamStatus> parse_status(std::string_view name);

// Failures are core::Failure: ErrorCode::already_exists for create() with a
// taken id, not_found for a stream that does not exist, conflict for a change
// to a stream that has ended (ended is final), unavailable when the database
// cannot be reached.

// What ending a stream produced, stored with it.
struct EndSummary {
  // Media duration; nothing lets the database take the time from going live to ending.
  std::optional<double> duration_seconds;
  uint64_t peak_viewers = 0;
  uint64_t unique_viewers = 0;
  std::optional<double> average_watch_seconds;
  std::optional<std::string> vod_path;  // relative to the media root, e.g. "vods/<id>.m3u8"
  // Why the recording failed (its files did not all reach the disk); it keeps
  // what was stored before, and vod_path names that when there is any.
  std::optional<std::string> recording_error;
};

struct StreamRecord {
  std::string id;  // UUID
  StreamStatus status = StreamStatus::ready;
  bool record = false;
  std::string metadata_json = "{}";
  std::string created_at;  // ISO 8601, UTC
  std::optional<std::string> started_at;
  std::optional<std::string> ended_at;
  std::optional<EndSummary> summary;         // once the stream has ended and its recording is final
  std::optional<core::LadderChoice> ladder;  // its own; none: the server's default
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
  std::optional<core::LadderChoice> ladder;
};

// What other processes asked of the one holding a stream (see take_requests()).
struct HolderRequest {
  std::string stream_id;
  std::optional<std::string> end_reason;  // end the stream, with this reason
  bool kick = false;                      // disconnect its publisher
};

// A page of the stream list: newest first, after the (created_at, id) of
// the previous page's last stream.
struct ListQuery {
  std::optional<StreamStatus> status;
  size_t limit = 20;
  std::optional<std::string> after_created_at;  // as StreamRecord::created_at gives it
  std::optional<std::string> after_id;
};

// Builds the webhook deliveries that announce a change, from the stream as the
// change left it; called inside the change's transaction, so it must not block.
using EventBuilder = std::function<std::vector<NewDelivery>(const StreamRecord& changed)>;

// Streams and their keys. Every method blocks; every method throws
// ErrorCode::unavailable when the database cannot be reached. Stream ids are UUIDs in
// canonical 8-4-4-4-12 form; a malformed one is std::invalid_argument, except
// in find(), where it simply matches nothing.
class StreamRepository {
 public:
  explicit StreamRepository(Database& database) : database_(database) {}

  // Creates a stream in status ready with a fresh key. `id` is generated when
  // empty. Throws already_exists for a taken id, std::invalid_argument for a
  // malformed id or metadata that is not a JSON object.
  CreatedStream create(const std::optional<std::string>& id, bool record,
                       const std::string& metadata_json = "{}",
                       const std::optional<core::LadderChoice>& ladder = std::nullopt);
  std::optional<StreamRecord> find(const std::string& id);
  // find() for a stream that must exist: throws not_found otherwise.
  StreamRecord get(const std::string& id);
  std::optional<KeyMatch> find_by_key(std::string_view key);
  // Records a transition (and its timestamp) in streams and stream_events:
  // started_at on first going live, ended_at on ending. Setting the current
  // status again changes nothing. Throws not_found, or conflict when
  // the stream has ended.
  void set_status(const std::string& id, StreamStatus status, const std::string& reason);
  // set_status that also stores the deliveries `events` builds, in the same
  // transaction. Returns whether the status changed (no events when it did not).
  bool transition(const std::string& id, StreamStatus status, const std::string& reason,
                  const EventBuilder& events);
  // Every key of the stream stops admitting publishers. Throws not_found.
  void revoke_keys(const std::string& stream_id);

  // Revokes every key and issues a fresh one (returned in clear, once).
  // Throws not_found, or conflict when the stream has ended.
  std::string rotate_key(const std::string& stream_id);
  // In one transaction: revokes the keys, sets status ended (once), stores
  // the summary and the deliveries `events` builds. A stream whose summary is
  // already stored is returned as it is, with no new events. Throws not_found.
  StreamRecord end(const std::string& id, const std::string& reason, const EndSummary& summary,
                   const EventBuilder& events);
  // Deletes the stream, its keys and its events; false when there was none.
  bool remove(const std::string& id);
  std::vector<StreamRecord> list(const ListQuery& query);
  // Streams a crash may have left behind: live or reconnecting, or ended
  // without a final recording.
  std::vector<StreamRecord> unfinished();

  // Ownership of live streams among processes sharing the database: `owner`
  // names a process, which holds a stream for `lease` and renews it while it runs.
  // Takes the stream (not ended) unless another owner's lease still runs.
  bool claim(const std::string& id, const std::string& owner, std::chrono::milliseconds lease);
  // A publisher's claim: as claim, and only while `key` is still one of the
  // stream's unrevoked keys. An end or a rotation on another process revokes
  // the key before it looks for a holder to ask, so a publisher whose key was
  // revoked after its lookup takes nothing rather than publishing unasked
  // into a stream that ends.
  bool claim_with_key(const std::string& id, std::string_view key, const std::string& owner,
                      std::chrono::milliseconds lease);
  void renew(const std::string& owner, std::chrono::milliseconds lease);
  // Lets go of every stream the owner holds, for the next process to take at once.
  void release(const std::string& owner);
  // Live or reconnecting streams no running process holds: no owner, or a
  // lease that ran out (its process is gone).
  std::vector<StreamRecord> orphaned(const std::string& owner);
  // An API call that lands on a process other than the stream's holder asks
  // the holder, which has the publisher and the recording, to act. Each is
  // false when no other process than `asker` holds the stream under a running
  // lease: the asker acts itself.
  bool ask_holder_to_end(const std::string& id, const std::string& asker,
                         const std::string& reason);
  bool ask_holder_to_kick(const std::string& id, const std::string& asker);
  bool held_elsewhere(const std::string& id, const std::string& asker);
  // What was asked of `owner` about the streams it holds. An end is asked
  // again until the stream has ended; a kick is handed out once.
  std::vector<HolderRequest> take_requests(const std::string& owner);
  // Ids of streams ended (and finalized) longer than `age` ago, oldest first.
  std::vector<std::string> ended_before(std::chrono::seconds age, size_t limit);
  std::map<StreamStatus, uint64_t> count_by_status();

 private:
  bool take(const std::string& id, const std::string& owner, std::chrono::milliseconds lease,
            const std::optional<std::string>& key_hash);
  bool ask_holder(const std::string& id, const std::string& asker,
                  const std::optional<std::string>& end_reason, bool kick);

  Database& database_;
};

}  // namespace looplive::db
