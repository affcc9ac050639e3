#include "gzip_cache.hpp"

#include <zlib.h>

#include <vector>

namespace looplive::origin {

core::SharedBytes gzip_encode(std::span<const uint8_t> bytes) {
  z_stream stream{};
  // 15 window bits, plus 16 for the gzip wrapper rather than zlib's.
  if (deflateInit2(&stream, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return {};
  std::vector<uint8_t> out(deflateBound(&stream, static_cast<uLong>(bytes.size())));
  stream.next_in = const_cast<Bytef*>(bytes.data());
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = out.data();
  stream.avail_out = static_cast<uInt>(out.size());
  const int status = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  if (status != Z_STREAM_END) return {};
  return core::SharedBytes(std::move(out));
}

core::SharedBytes GzipCache::encoded(const std::string& name, const core::SharedBytes& text) {
  const auto same = [&](const Entry& entry) {
    return entry.text.data() == text.data() && entry.text.size() == text.size();
  };
  {
    std::lock_guard lock(mutex_);
    if (const auto found = by_name_.find(name); found != by_name_.end() && same(*found->second))
      return found->second->encoded;
  }
  // Encoded outside the lock: two threads may both encode a new version once.
  core::SharedBytes encoded = gzip_encode(text.span());
  if (encoded.empty()) return encoded;
  std::lock_guard lock(mutex_);
  if (const auto found = by_name_.find(name); found != by_name_.end()) {
    bytes_ -= found->second->text.size() + found->second->encoded.size();
    entries_.erase(found->second);
    by_name_.erase(found);
  }
  entries_.push_back(Entry{name, text, encoded});
  by_name_[name] = std::prev(entries_.end());
  bytes_ += text.size() + encoded.size();
  evict();
  return encoded;
}

size_t GzipCache::bytes_held() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

void GzipCache::evict() {
  while (!entries_.empty() && (entries_.size() > max_entries_ || bytes_ > max_bytes_)) {
    const Entry& oldest = entries_.front();
    bytes_ -= oldest.text.size() + oldest.encoded.size();
    by_name_.erase(oldest.name);
    entries_.pop_front();
  }
}

}  // namespace looplive::origin
