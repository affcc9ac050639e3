#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace looplive::core {

// Immutable, reference-counted bytes. Media payloads are copied once, off the
// socket, into one of these; everything downstream shares or slices it.
class SharedBytes {
 public:
  SharedBytes() = default;
  explicit SharedBytes(std::vector<uint8_t>&& bytes)
      : buffer_(std::make_shared<const std::vector<uint8_t>>(std::move(bytes))),
        size_(buffer_->size()) {}

  static SharedBytes copy_of(std::span<const uint8_t> bytes) {
    return SharedBytes(std::vector<uint8_t>(bytes.begin(), bytes.end()));
  }

  const uint8_t* data() const { return buffer_ ? buffer_->data() + offset_ : nullptr; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<const uint8_t> span() const { return {data(), size_}; }
  uint8_t operator[](size_t i) const { return data()[i]; }

  // A view of [offset, offset + length) that shares the same buffer; clamped to the bytes held.
  SharedBytes slice(size_t offset, size_t length = SIZE_MAX) const {
    SharedBytes out;
    if (offset >= size_) return out;
    out.buffer_ = buffer_;
    out.offset_ = offset_ + offset;
    out.size_ = std::min(length, size_ - offset);
    return out;
  }

  friend bool operator==(const SharedBytes& a, const SharedBytes& b) {
    return a.size_ == b.size_ &&
           (a.size_ == 0 || std::equal(a.data(), a.data() + a.size_, b.data()));
  }

 private:
  std::shared_ptr<const std::vector<uint8_t>> buffer_;
  size_t offset_ = 0;
  size_t size_ = 0;
};

}  // namespace looplive::core
