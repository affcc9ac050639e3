#pragma once

#include <string>
#include <string_view>

#include "looplive/core/shared_bytes.hpp"

namespace looplive::packager {

// A playlist or MPD as last rendered, in the bytes that the views and every
// response carrying it share: taken over as rendered, once per change, where
// each view copied every text, changed or not, and each response copied it again.
class RenderedText {
 public:
  std::string_view text() const { return bytes_.text(); }
  // False when `text` is what is there already.
  bool set(std::string text) {
    if (text == bytes_.text()) return false;
    bytes_ = core::SharedBytes(std::move(text));
    return true;
  }
  const core::SharedBytes& shared() const { return bytes_; }

 private:
  core::SharedBytes bytes_;
};

}  // namespace looplive::packager
