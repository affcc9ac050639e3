#include "version.hpp"

#include <boost/version.hpp>

#include "looplive/av/version.hpp"
#include "looplive/db/database.hpp"

namespace looplive::app {

namespace {

std::string boost_version() {
  return std::to_string(BOOST_VERSION / 100000) + "." + std::to_string(BOOST_VERSION / 100 % 1000) +
         "." + std::to_string(BOOST_VERSION % 100);
}

}  // namespace

std::string version_text() {
  return std::string("looplive ") + LOOPLIVE_VERSION + "\n" + av::ffmpeg_version() + "\nBoost " +
         boost_version() + "\n" + db::client_version() + "\n";
}

std::vector<std::pair<std::string, std::string>> build_info() {
  return {{"version", LOOPLIVE_VERSION},
          {"ffmpeg", av::ffmpeg_version()},
          {"boost", boost_version()},
          {"libpq", db::client_version()}};
}

}  // namespace looplive::app
