#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "representation.hpp"

namespace looplive::origin {

// A regular file at <trusted_dir>/<names...>, found without following a
// symbolic link at any of `names`: those come from the URL, so a link there
// (live/<id> itself, or a file inside it) could lead anywhere and is treated
// as absent. <trusted_dir> is the operator's (media_root/live, media_root/vods)
// and may itself be a link, e.g. to another disk. The ETag is made of the
// inode, size and modification time, so a playlist replaced by rename gets a
// new one even within the same second.
std::optional<Representation> find_disk_file(const std::string& trusted_dir,
                                             std::initializer_list<std::string_view> names);

}  // namespace looplive::origin
