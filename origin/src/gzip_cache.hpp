#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>

#include "looplive/core/shared_bytes.hpp"

namespace looplive::origin {

// The bytes gzip-encoded (RFC 1952) at zlib's fastest level; empty if zlib fails.
core::SharedBytes gzip_encode(std::span<const uint8_t> bytes);

// The gzip encoding of each live playlist and MPD being served, made once
// per version however many clients ask for it: with many product tags
// listed a playlist is hundreds of KiB, and every LL-HLS viewer fetches it
// about three times a second per rendition. One entry per name (a stream's
// file, or its delta update), replaced when the text changes; the least
// recently replaced go first past `max_entries` or `max_bytes` (texts and
// encodings counted). Safe to call from any thread.
class GzipCache {
 public:
  GzipCache(size_t max_entries, size_t max_bytes)
      : max_entries_(max_entries), max_bytes_(max_bytes) {}
  // Empty when the bytes could not be encoded (they are then sent as they are).
  core::SharedBytes encoded(const std::string& name, const core::SharedBytes& text);
  size_t bytes_held() const;

 private:
  struct Entry {
    std::string name;
    core::SharedBytes text;  // what `encoded` encodes: the same bytes, at the same address
    core::SharedBytes encoded;
  };
  void evict();  // with mutex_ held

  const size_t max_entries_;
  const size_t max_bytes_;
  mutable std::mutex mutex_;
  std::list<Entry> entries_;  // least recently replaced first
  std::unordered_map<std::string, std::list<Entry>::iterator> by_name_;
  size_t bytes_ = 0;
};

}  // namespace looplive::origin
