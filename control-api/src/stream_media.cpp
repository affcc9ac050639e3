#include "stream_media.hpp"

#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace looplive::control_api {

namespace fs = std::filesystem;

void remove_media(const std::string& media_root, const std::string& id) {
  std::error_code ec;
  fs::remove_all(fs::path(media_root) / "live" / id, ec);
  if (ec) throw std::runtime_error("removing live/" + id + ": " + ec.message());
  const fs::path vods = fs::path(media_root) / "vods";
  if (!fs::exists(vods)) return;
  for (const auto& entry : fs::directory_iterator(vods)) {
    if (!entry.path().filename().string().starts_with(id)) continue;
    fs::remove_all(entry.path(), ec);
    if (ec) throw std::runtime_error("removing " + entry.path().string() + ": " + ec.message());
  }
}

}  // namespace looplive::control_api
