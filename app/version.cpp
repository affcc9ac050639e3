#include "version.hpp"

#include <boost/version.hpp>

#include "looplive/db/database.hpp"
#include "looplive/packager/packager.hpp"

namespace looplive::app {

std::string version_text() {
  return std::string("looplive ") + LOOPLIVE_VERSION + "\n" + packager::ffmpeg_version() +
         "\nBoost " + std::to_string(BOOST_VERSION / 100000) + "." +
         std::to_string(BOOST_VERSION / 100 % 1000) + "." + std::to_string(BOOST_VERSION % 100) +
         "\n" + db::client_version() + "\n";
}

}  // namespace looplive::app
