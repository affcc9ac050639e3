#include "stream_media.hpp"

#include <stdexcept>

#include "looplive/media/stream_files.hpp"

namespace looplive::control_api {

void remove_media(const std::string& media_root, const std::string& id) {
  if (auto removed = media::files::remove_stream(media_root, id); !removed)
    throw std::runtime_error(removed.error().message);
}

}  // namespace looplive::control_api
