#pragma once

#include <string>

namespace looplive::control_api {

// Deletes a stream's media: live/<id>/ and every vods/<id>* file. Ids are
// fixed-length UUIDs, so the prefix cannot match another stream's files.
// Throws std::runtime_error when a file cannot be removed.
void remove_media(const std::string& media_root, const std::string& id);

}  // namespace looplive::control_api
