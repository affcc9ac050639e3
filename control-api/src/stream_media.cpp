#include "stream_media.hpp"

namespace looplive::control_api {

void delete_ended_stream(Context& context, const std::string& id) {
  if (context.deps.remove_media) context.deps.remove_media(id);
  context.deps.streams.remove(id);
  context.deps.figures.erase(id);
}

}  // namespace looplive::control_api
