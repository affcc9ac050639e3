#include "tag_book.hpp"

#include <algorithm>
#include <iterator>
#include <limits>

#include "tag_events.hpp"

namespace looplive::packager {

core::Result<core::TagStamp> TagBook::stamp(int64_t now_ms, std::optional<int64_t> media_ms,
                                            std::optional<int64_t> wall_ms) const {
  const int64_t next = next_frame_ms_;
  if (next < 0)
    return core::Error{"the stream has no media yet; tags can be placed once it is on air",
                       core::ErrorCode::conflict};
  const int64_t origin = wall_origin_ms_;
  int64_t at = next;
  if (media_ms) {
    at = *media_ms;
  } else if (wall_ms) {
    at = *wall_ms - origin;
  } else if (!publishing_) {
    // The next publish resumes at the end of the stream so far, or later if it
    // has been away longer than the stream ran ahead of the wall clock.
    at = std::max(next, now_ms - origin);
  }
  if (at < 0) return core::Error{"the time is before the stream started", core::ErrorCode::invalid};
  return core::TagStamp{at, origin + at};
}

core::Status TagBook::add(core::ProductTag tag) {
  std::lock_guard lock(mutex_);
  if (entries_.size() >= limits_.max_tags || bytes_ + tag.cue_json.size() > limits_.max_bytes)
    return core::Error{"the stream holds as many tags as it may (" +
                           std::to_string(limits_.max_tags) + " tags or " +
                           std::to_string(limits_.max_bytes / (1024 * 1024)) + " MiB)",
                       core::ErrorCode::conflict};
  const Key key{tag.media_time_ms, tag.id};
  if (by_id_.contains(tag.id))
    return core::Error{"tag " + std::to_string(tag.id) + " is already on the stream",
                       core::ErrorCode::already_exists};
  bytes_ += tag.cue_json.size();
  by_id_[tag.id] = key;
  std::set<Key>& product = by_product_[tag.product_id];
  entries_[key] = Entry{std::make_shared<const core::ProductTag>(std::move(tag)), std::nullopt};
  unsent_.insert(key);
  settle(product, product.insert(key).first);
  ++version_;
  return core::Ok{};
}

void TagBook::add_missing(std::vector<core::ProductTag> tags) {
  for (core::ProductTag& tag : tags) {
    const Key key{tag.media_time_ms, tag.id};
    if (!add(std::move(tag))) continue;  // held already, or no room
    std::lock_guard lock(mutex_);
    entries_.at(key).on_air = true;
    unsent_.erase(key);  // its fragments were written by that run
  }
}

core::Status TagBook::remove(uint64_t tag_id) {
  std::lock_guard lock(mutex_);
  const auto id = by_id_.find(tag_id);
  if (id == by_id_.end())
    return core::Error{"the stream has no tag " + std::to_string(tag_id),
                       core::ErrorCode::not_found};
  const Key key = id->second;
  const auto entry = entries_.find(key);
  if (entry->second.on_air)
    return core::Error{"tag " + std::to_string(tag_id) + " is already on air",
                       core::ErrorCode::conflict};
  const std::string product_id = entry->second.tag->product_id;
  bytes_ -= entry->second.tag->cue_json.size();
  std::set<Key>& product = by_product_[product_id];
  const auto at = product.find(key);
  const bool first = at == product.begin();
  const auto before = first ? product.end() : std::prev(at);
  product.erase(at);
  if (!first) settle(product, before);
  if (product.empty()) by_product_.erase(product_id);
  entries_.erase(entry);
  unsent_.erase(key);
  by_id_.erase(id);
  ++version_;
  return core::Ok{};
}

uint64_t TagBook::version() const {
  std::lock_guard lock(mutex_);
  return version_;
}

// A tag without a duration of its own ends where the product's next tag
// starts: settle the one at `at` and the one before it, whose next tag `at`
// may now be. An end once on air stays (a playlist's DATERANGE must never
// change an attribute it had), so a tag placed back in time before an aired
// one does not shorten it.
void TagBook::settle(const std::set<Key>& product, std::set<Key>::const_iterator at) {
  const auto end_of = [&](std::set<Key>::const_iterator it) {
    Entry& entry = entries_.at(*it);
    const core::ProductTag& tag = *entry.tag;
    if (tag.action == core::TagAction::hide) {
      entry.end_ms = tag.media_time_ms;
    } else if (tag.duration_ms) {
      entry.end_ms = tag.media_time_ms + *tag.duration_ms;
    } else if (!(entry.on_air && entry.end_ms)) {
      const auto next = std::next(it);
      entry.end_ms = next == product.end() ? std::nullopt : std::optional(next->first);
    }
  };
  end_of(at);
  if (at != product.begin()) end_of(std::prev(at));
}

const TagBook::Key* TagBook::on_screen(const std::set<Key>& product, int64_t at_ms,
                                       bool started_at_too) const {
  auto it = started_at_too ? product.upper_bound({at_ms, std::numeric_limits<uint64_t>::max()})
                           : product.lower_bound({at_ms, 0});
  if (it == product.begin()) return nullptr;
  --it;
  const Entry& entry = entries_.at(*it);
  if (entry.tag->action == core::TagAction::hide) return nullptr;
  if (entry.end_ms && *entry.end_ms <= at_ms) return nullptr;
  return &*it;
}

bool TagBook::starts_between(int64_t a_ms, int64_t b_ms) const {
  const auto [low, high] = std::minmax(a_ms, b_ms);
  const auto next = entries_.upper_bound({low, std::numeric_limits<uint64_t>::max()});
  return next != entries_.end() && next->first.first <= high;
}

std::shared_ptr<const std::vector<TagRange>> TagBook::listed(int64_t from_ms) {
  std::lock_guard lock(mutex_);
  const int64_t until = next_frame_ms_;
  if (listing_.ranges && listing_.version == version_ && listing_.from_ms == from_ms &&
      !starts_between(listing_.until_ms, until))
    return listing_.ranges;
  std::vector<Key> keys;
  for (const auto& [id, product] : by_product_)
    if (const Key* key = on_screen(product, from_ms, false)) keys.push_back(*key);
  std::sort(keys.begin(), keys.end());
  for (auto it = entries_.lower_bound({from_ms, 0});
       it != entries_.end() && it->first.first <= until; ++it)
    keys.push_back(it->first);
  std::vector<TagRange> ranges;
  ranges.reserve(keys.size());
  for (const Key& key : keys) {
    Entry& entry = entries_.at(key);
    put_on_air(entry);
    ranges.push_back(range(entry));
  }
  listing_ = {version_, from_ms, until,
              std::make_shared<const std::vector<TagRange>>(std::move(ranges))};
  return listing_.ranges;
}

std::vector<TagRange> TagBook::all() {
  std::lock_guard lock(mutex_);
  std::vector<TagRange> ranges;
  ranges.reserve(entries_.size());
  for (auto& [key, entry] : entries_) {
    put_on_air(entry);
    ranges.push_back(range(entry));
  }
  return ranges;
}

void TagBook::put_on_air(Entry& entry) {
  if (entry.on_air) return;
  entry.on_air = true;
  core::ProductTag aired = *entry.tag;
  aired.cue_json.clear();
  aired_.push_back(std::move(aired));
}

std::vector<core::ProductTag> TagBook::take_aired() {
  std::lock_guard lock(mutex_);
  return std::exchange(aired_, {});
}

std::vector<uint8_t> TagBook::fragment_events(int64_t start_ms, int64_t end_ms,
                                              bool segment_start) {
  std::lock_guard lock(mutex_);
  std::vector<uint8_t> out;
  std::set<Key> carried;
  while (!unsent_.empty() && unsent_.begin()->first < end_ms) {
    const Key key = *unsent_.begin();
    unsent_.erase(unsent_.begin());
    Entry& entry = entries_.at(key);
    put_on_air(entry);
    append_tag_events(out, *entry.tag, range(entry).duration_ms());
    carried.insert(key);
  }
  if (!segment_start) return out;
  for (const auto& [id, product] : by_product_) {
    const Key* key = on_screen(product, start_ms, true);
    if (key == nullptr || carried.contains(*key) || unsent_.contains(*key)) continue;
    Entry& entry = entries_.at(*key);
    append_tag_events(out, *entry.tag, range(entry).duration_ms());
  }
  return out;
}

}  // namespace looplive::packager
