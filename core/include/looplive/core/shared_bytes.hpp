#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace looplive::core {

namespace detail {
struct MemoryFile;
}

// Immutable, reference-counted bytes. Media payloads are copied once, off the
// socket, into one of these; everything downstream shares or slices it.
class SharedBytes {
 public:
  SharedBytes() = default;
  explicit SharedBytes(std::vector<uint8_t>&& bytes);
  // Takes a rendered text (a playlist, an MPD) as it is, without a copy.
  explicit SharedBytes(std::string&& text);

  static SharedBytes copy_of(std::span<const uint8_t> bytes) {
    return SharedBytes(std::vector<uint8_t>(bytes.begin(), bytes.end()));
  }

  const uint8_t* data() const {
    return file_ ? mapped() + offset_ : buffer_ ? buffer_.get() + offset_ : nullptr;
  }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<const uint8_t> span() const { return {data(), size_}; }
  // The bytes read as text (a playlist, an MPD).
  std::string_view text() const { return {reinterpret_cast<const char*>(data()), size_}; }
  uint8_t operator[](size_t i) const { return data()[i]; }
  // The in-memory file holding these bytes at file_offset(), or -1. Valid while
  // any SharedBytes sharing the buffer lives.
  int fd() const { return fd_; }
  size_t file_offset() const { return offset_; }

  // A view of [offset, offset + length) that shares the same buffer; clamped to the bytes held.
  SharedBytes slice(size_t offset, size_t length = SIZE_MAX) const {
    SharedBytes out;
    if (offset >= size_) return out;
    out.buffer_ = buffer_;
    out.file_ = file_;
    out.fd_ = fd_;
    out.offset_ = offset_ + offset;
    out.size_ = std::min(length, size_ - offset);
    return out;
  }

  friend bool operator==(const SharedBytes& a, const SharedBytes& b) {
    return a.size_ == b.size_ &&
           (a.size_ == 0 || std::equal(a.data(), a.data() + a.size_, b.data()));
  }

 private:
  friend class MemoryFileBuilder;

  // An in-memory file is mapped the first time its bytes are read, not when
  // it is sealed: most are only ever sent with sendfile() or copied by the
  // kernel, and each mapping costs a page fault per page and, when it goes,
  // a TLB flush on every core.
  const uint8_t* mapped() const;

  std::shared_ptr<const uint8_t> buffer_;     // the first byte; owns the storage
  std::shared_ptr<detail::MemoryFile> file_;  // or the in-memory file that holds them
  size_t offset_ = 0;
  size_t size_ = 0;
  int fd_ = -1;
};

// Gathers bytes piece by piece straight into an anonymous in-memory file
// (memfd), then seals it against any change, to be mapped for reading if ever read: a socket
// can be sent the bytes with sendfile(), by reference instead of by copy, and
// each byte is copied once, by the kernel, on its way in. Where no such file
// can be made or written (out of descriptors), the pieces gather in ordinary
// memory instead and the sealed bytes' fd() is -1.
class MemoryFileBuilder {
 public:
  MemoryFileBuilder() = default;
  MemoryFileBuilder(MemoryFileBuilder&& other) noexcept { *this = std::move(other); }
  MemoryFileBuilder& operator=(MemoryFileBuilder&& other) noexcept;
  ~MemoryFileBuilder();

  void append(std::span<const std::span<const uint8_t>> pieces);
  void append(std::span<const uint8_t> bytes) { append({&bytes, 1}); }
  // Another in-memory file's bytes are copied by the kernel, file to file.
  void append(const SharedBytes& bytes);
  size_t size() const { return size_; }
  // What was appended, sealed against any change; the builder starts over empty.
  SharedBytes seal();
  // Forgets what was appended.
  void clear();

 private:
  void fall_back_to_memory();

  int fd_ = -1;
  size_t size_ = 0;
  bool in_memory_ = false;         // no file could be made or written for these bytes
  std::vector<uint8_t> fallback_;  // the bytes, when in_memory_
};

// Bytes the process holds in in-memory files (memfd), sealed or being
// written: memory the kernel keeps for it that resident memory does not show.
size_t memory_file_bytes();

}  // namespace looplive::core
