#include "looplive/packager/packager.hpp"

#include <mutex>
#include <unordered_map>

#include "stream_packager.hpp"
#include "view_slot.hpp"

namespace looplive::packager {

// Views are owned by their sinks; a sink that is gone leaves an expired entry,
// pruned on the next open.
struct Packager::Registry {
  mutable std::mutex mutex;
  std::unordered_map<std::string, std::weak_ptr<ViewSlot>> slots;
};

Packager::Packager(const core::PackagerConfig& config, PackagerOptions options)
    : config_(config), options_(std::move(options)), registry_(std::make_unique<Registry>()) {}

Packager::~Packager() = default;

std::shared_ptr<core::PacketSink> Packager::open(const core::PublishGrant& grant) {
  auto slot = std::make_shared<ViewSlot>();
  {
    std::lock_guard lock(registry_->mutex);
    std::erase_if(registry_->slots, [](const auto& entry) { return entry.second.expired(); });
    registry_->slots[grant.stream_id] = slot;
  }
  return std::make_shared<StreamPackager>(config_, options_, grant, std::move(slot));
}

std::shared_ptr<const LiveView> Packager::view(const std::string& stream_id) const {
  std::shared_ptr<ViewSlot> slot;
  {
    std::lock_guard lock(registry_->mutex);
    const auto found = registry_->slots.find(stream_id);
    if (found != registry_->slots.end()) slot = found->second.lock();
  }
  return slot ? slot->view.load() : nullptr;
}

}  // namespace looplive::packager
