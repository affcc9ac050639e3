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

// A stream's product tags, in timeline order. Every method blocks and throws
// core::Failure: unavailable when the database cannot be reached, not_found
// from insert() for a stream that does not exist.
class TagRepository {
 public:
  explicit TagRepository(Database& database) : database_(database) {}

  TagRecord insert(const NewTag& tag);
  // By media time, then id; `limit` at most.
  std::vector<TagRecord> list(const std::string& stream_id, std::optional<TagPosition> after,
                              size_t limit);
  std::optional<TagRecord> find(const std::string& stream_id, uint64_t tag_id);
  // False when the stream has no such tag.
  bool remove(const std::string& stream_id, uint64_t tag_id);
  uint64_t count(const std::string& stream_id);
  // The stream's chapters by media time, `limit` at most.
  std::vector<TagChapter> chapters(const std::string& stream_id, size_t limit);

 private:
  Database& database_;
};

}  // namespace looplive::db
