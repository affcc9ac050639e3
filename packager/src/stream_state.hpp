#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "live_window.hpp"
#include "looplive/packager/packager.hpp"
#include "tag_book.hpp"
#include "track_output.hpp"
#include "view_slot.hpp"

namespace looplive::packager {

// What a stream keeps from one publish to the next until it is ended: its
// playlists and segment lists (in the live window), its numbering and init
// segments (in the track outputs), its view. A publish borrows it from
// open() to finish() without locking; the mutex, taken at both ends and by
// end_stream, hands it over between the threads those calls run on.
struct StreamState {
  explicit StreamState(StreamSettings settings)
      : slot(std::make_shared<ViewSlot>()),
        tags(std::make_shared<TagBook>()),
        window(std::move(settings), slot, tags) {}

  std::mutex mutex;
  const std::shared_ptr<ViewSlot> slot;
  const std::shared_ptr<TagBook> tags;  // locks itself: the API adds to it from its threads
  LiveWindow window;
  std::map<core::TrackKey, std::unique_ptr<TrackOutput>> outputs;  // the stream's tracks
  bool publishing = false;
  bool ended = false;
};

}  // namespace looplive::packager
