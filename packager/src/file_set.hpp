#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "looplive/core/shared_bytes.hpp"
#include "looplive/packager/live_view.hpp"

namespace looplive::packager {

// One track's served files by name, and the immutable copy that the views
// share until the files change: a view is stored after every part of any
// track, and copying every track's files into each one was most of its cost.
class FileSet {
 public:
  void put(std::string name, core::SharedBytes bytes) {
    files_[std::move(name)] = std::move(bytes);
    snapshot_.reset();
  }
  void erase(std::string_view name) {
    if (const auto found = files_.find(name); found != files_.end()) {
      files_.erase(found);
      snapshot_.reset();
    }
  }
  const core::SharedBytes* find(std::string_view name) const {
    const auto found = files_.find(name);
    return found == files_.end() ? nullptr : &found->second;
  }
  std::shared_ptr<const MediaFiles> snapshot() {
    if (!snapshot_) snapshot_ = std::make_shared<const MediaFiles>(files_.begin(), files_.end());
    return snapshot_;
  }

 private:
  std::map<std::string, core::SharedBytes, std::less<>> files_;
  std::shared_ptr<const MediaFiles> snapshot_;
};

}  // namespace looplive::packager
