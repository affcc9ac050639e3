#pragma once

#include <atomic>
#include <memory>

#include "looplive/packager/live_view.hpp"

namespace looplive::packager {

// Where a stream's packager leaves its latest LiveView for readers on other threads.
struct ViewSlot {
  std::atomic<std::shared_ptr<const LiveView>> view;
};

}  // namespace looplive::packager
