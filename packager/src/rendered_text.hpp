#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "looplive/core/shared_bytes.hpp"

namespace looplive::packager {

// A playlist or MPD as last rendered, and the bytes that the views and every
// response carrying it share: made once per change, where each view copied
// every text, changed or not, and each response copied it again.
class RenderedText {
 public:
  const std::string& text() const { return text_; }
  // False when `text` is what is there already.
  bool set(std::string text) {
    if (text == text_) return false;
    text_ = std::move(text);
    shared_ = {};
    return true;
  }
  const core::SharedBytes& shared() {
    if (shared_.empty() && !text_.empty())
      shared_ = core::SharedBytes(std::vector<uint8_t>(text_.begin(), text_.end()));
    return shared_;
  }

 private:
  std::string text_;
  core::SharedBytes shared_;
};

}  // namespace looplive::packager
