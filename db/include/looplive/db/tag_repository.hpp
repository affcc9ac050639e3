#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "looplive/db/database.hpp"

namespace looplive::db {

// A product tag as the API takes it, stamped with its place on the timeline.
struct NewTag {
  std::string stream_id;
  std::string product_id;
  std::string action;        // show, hide, update
  std::string payload_json;  // a JSON object
  std::optional<double> x;
  std::optional<double> y;
  std::optional<int64_t> duration_ms;
  int64_t media_time_ms = 0;
  int64_t wall_clock_ms = 0;  // Unix time of media_time_ms
};

struct TagRecord {
  uint64_t id = 0;
  NewTag tag;
  std::string created_at;  // ISO 8601, UTC
};

// Where a page of the timeline starts: after this tag's (media time, id).
struct TagPosition {
  int64_t media_time_ms = 0;
  uint64_t id = 0;
};

// A stretch of the show with one product's card on screen: from a show or
// update until a hide, its duration, or the product's next tag (stretches
// that meet are one).
struct TagChapter {
  std::string product_id;
  int64_t start_ms = 0;
  std::optional<int64_t> end_ms;  // none: still on screen at the end
};

// A tag posted to (or taken back through) a process that does not package
// the stream, for the one that does: the request as JSON, the POST body or
// {"removeTag": "<id>"}.
struct TagAsk {
  uint64_t id = 0;
  std::string stream_id;
  std::string body_json;
};

// The holder's answer to a TagAsk: what the caller of the API gets.
struct TagAnswer {
  int status = 0;
  std::string body_json;
};

// The notification channel of tag requests between processes: "asked
// <owner>" when a request for the holder `owner` is stored, "answered <id>"
// when request `id` is answered.
inline constexpr const char* kTagChannel = "looplive_tags";

// A stream's product tags, in timeline order. Every method blocks and throws
// core::Failure: unavailable when the database cannot be reached, not_found
// from insert() for a stream that does not exist.
class TagRepository {
 public:
  explicit TagRepository(Database& database) : database_(database) {}

  TagRecord insert(const NewTag& tag);
  // Several tags in one statement and one commit, returned in the order
  // given: all of them or none (not_found when a stream does not exist).
  std::vector<TagRecord> insert_all(const std::vector<NewTag>& tags);
  // By media time, then id; `limit` at most.
  std::vector<TagRecord> list(const std::string& stream_id, std::optional<TagPosition> after,
                              size_t limit);
  std::optional<TagRecord> find(const std::string& stream_id, uint64_t tag_id);
  // False when the stream has no such tag.
  bool remove(const std::string& stream_id, uint64_t tag_id);
  uint64_t count(const std::string& stream_id);
  // The stream's chapters by media time, `limit` at most.
  std::vector<TagChapter> chapters(const std::string& stream_id, size_t limit);

  // Tags posted to a process other than the stream's holder (several
  // processes behind one API address). The asker stores the request; the
  // holder, polling the streams it holds, places it and stores its answer;
  // the asker takes that answer. Nothing when no other process than `asker`
  // holds the stream under a running lease.
  std::optional<uint64_t> ask_holder(const std::string& stream_id, const std::string& asker,
                                     const std::string& body_json);
  // Requests on streams `owner` holds not taken yet, oldest first, now taken:
  // the holder answers each.
  std::vector<TagAsk> take_asked(const std::string& owner);
  void answer(uint64_t request_id, const TagAnswer& answer);
  // The answer once stored (the request is deleted as it is taken); nothing before.
  std::optional<TagAnswer> take_answer(uint64_t request_id);
  // Deletes a request the holder has not taken; false once it has.
  bool withdraw(uint64_t request_id);

 private:
  Database& database_;
};

}  // namespace looplive::db
