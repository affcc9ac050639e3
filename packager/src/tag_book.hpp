#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "looplive/core/product_tag.hpp"
#include "looplive/core/result.hpp"

namespace looplive::packager {

// A tag and how long its card stays on screen, as the tags after it say.
struct TagRange {
  std::shared_ptr<const core::ProductTag> tag;
  // Media time the card leaves the screen: after the tag's own duration, at
  // the product's next tag, or at once for a hide. None: still on screen.
  // (A card with a duration may be replaced sooner by the product's next tag;
  // its range keeps the duration it was placed with.)
  std::optional<int64_t> end_ms;

  std::optional<int64_t> duration_ms() const {
    if (!end_ms) return std::nullopt;
    return *end_ms - tag->media_time_ms;
  }
};

// Bounds on what one stream's tags may hold in memory.
struct TagLimits {
  size_t max_tags = 250'000;
  size_t max_bytes = 64 * 1024 * 1024;  // of cue JSON
};

// One stream's product tags, the single source every carrier reads: the
// playlists (EXT-X-DATERANGE), the MPD (EventStream) and the fragments of the
// track that carries events (emsg). Tags arrive from the API's threads and
// are read by the thread that packages the stream, so every call locks.
// A tag is on air once a playlist, a manifest or a fragment holds it; from
// then on it can no longer be taken back.
class TagBook {
 public:
  explicit TagBook(TagLimits limits = {}) : limits_(limits) {}

  // Where tags are stamped: media time 0 as Unix time, and the media time of
  // the next frame while a publisher sends them.
  void set_wall_origin(int64_t unix_ms) { wall_origin_ms_ = unix_ms; }
  void note_next_frame(int64_t media_ms) { next_frame_ms_ = media_ms; }
  void set_publishing(bool publishing) { publishing_ = publishing; }
  core::Result<core::TagStamp> stamp(int64_t now_ms, std::optional<int64_t> media_ms,
                                     std::optional<int64_t> wall_ms) const;

  core::Status add(core::ProductTag tag);
  // Adds those of `tags` the book does not hold (kept elsewhere across a
  // restart), as far as the limits allow. An earlier run put them on air:
  // they count as on air already, and take_aired() never reports them.
  void add_missing(std::vector<core::ProductTag> tags);
  core::Status remove(uint64_t tag_id);
  // Grows with every change: the MPD is rendered again when it does.
  uint64_t version() const;

  // What a live playlist or manifest starting at `from_ms` lists: every tag
  // from there up to the next frame (a tag placed ahead waits for its time,
  // and can be taken back until then), and the earlier ones whose cards are
  // still on screen there (a viewer joining now sees them), by media time.
  // They are on air. The same list, not a new one, while nothing in it can
  // have changed: no tag added or removed, the same `from_ms`, no tag's time
  // come (a packager lists its window at every part).
  std::shared_ptr<const std::vector<TagRange>> listed(int64_t from_ms);
  // Every tag, for the replay.
  std::vector<TagRange> all();
  // The emsg boxes of one fragment [start_ms, end_ms) of the track that
  // carries events: the tags that start before its end and no fragment has
  // carried yet, and, at the start of a segment, again every card on screen
  // at its start, so a player starting there shows them. They are on air.
  std::vector<uint8_t> fragment_events(int64_t start_ms, int64_t end_ms, bool segment_start);
  // The tags that went on air since the last call (their cues left out).
  std::vector<core::ProductTag> take_aired();

 private:
  using Key = std::pair<int64_t, uint64_t>;  // media time, id
  struct Entry {
    std::shared_ptr<const core::ProductTag> tag;
    std::optional<int64_t> end_ms;
    bool on_air = false;
  };

  void settle(const std::set<Key>& product, std::set<Key>::const_iterator at);
  void put_on_air(Entry& entry);
  // The product's tag on screen at `at_ms` (started before it, not ended by it).
  const Key* on_screen(const std::set<Key>& product, int64_t at_ms, bool started_at_too) const;
  TagRange range(Entry& entry) const { return {entry.tag, entry.end_ms}; }
  // Whether a tag starts after the earlier of two times, up to the later.
  bool starts_between(int64_t a_ms, int64_t b_ms) const;

  const TagLimits limits_;
  std::atomic<int64_t> wall_origin_ms_{0};
  std::atomic<int64_t> next_frame_ms_{-1};  // -1: no frame yet
  std::atomic<bool> publishing_{false};

  mutable std::mutex mutex_;
  std::map<Key, Entry> entries_;
  std::unordered_map<uint64_t, Key> by_id_;
  std::map<std::string, std::set<Key>> by_product_;
  std::set<Key> unsent_;                 // no fragment has carried them yet
  std::vector<core::ProductTag> aired_;  // since the last take_aired()
  size_t bytes_ = 0;
  uint64_t version_ = 0;
  struct Listing {
    uint64_t version = 0;
    int64_t from_ms = 0;
    int64_t until_ms = 0;  // the next frame's time when it was made
    std::shared_ptr<const std::vector<TagRange>> ranges;
  };
  Listing listing_;  // the last list listed() made
};

}  // namespace looplive::packager
