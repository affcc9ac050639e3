#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>

#include "looplive/core/result.hpp"
#include "looplive/core/shared_bytes.hpp"

namespace looplive::packager {

// Whether a file must survive a crash (recordings, VODs) or is rewritten
// every segment and rebuilt by recovery anyway (live playlists, manifests).
enum class Sync { durable, replace_only };

// Writes to a hidden temporary name beside the target, fsyncs it when
// durable, and renames it over the target, so a reader sees either the old
// file or the whole new one.
core::Status write_atomically(const std::filesystem::path& path, std::span<const uint8_t> bytes,
                              Sync sync = Sync::durable);
core::Status write_atomically(const std::filesystem::path& path, std::string_view text,
                              Sync sync = Sync::durable);
// Media the process holds in memory while it is live: bytes in an in-memory
// file are copied from it inside the kernel, and once a durable file is on
// disk its pages are let go from the page cache (recordings are read again
// only after the show, and then mostly by a CDN that caches them itself).
core::Status write_atomically(const std::filesystem::path& path, const core::SharedBytes& bytes,
                              Sync sync = Sync::durable);
// Appends to an existing file and fdatasyncs it. A crash can cut the
// appended text short, never touch what the file held before.
core::Status append_durably(const std::filesystem::path& path, std::string_view text);
// Makes the renames done in a directory durable; recorded streams call it
// before an index may name a file and after replacing the index.
core::Status sync_directory(const std::filesystem::path& dir);
// The temporary name write_atomically uses, so recovery can recognize leftovers.
bool is_temporary_name(std::string_view file_name);

}  // namespace looplive::packager
