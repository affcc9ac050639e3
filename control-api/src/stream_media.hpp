#pragma once

#include <string>

namespace looplive::control_api {

// Deletes a stream's media, wherever the layout (media/stream_files.hpp) puts
// it. Throws std::runtime_error when a file cannot be removed.
void remove_media(const std::string& media_root, const std::string& id);

}  // namespace looplive::control_api
