#include <spdlog/sinks/ostream_sink.h>

#include <catch2/catch.hpp>
#include <memory>
#include <sstream>
#include <string>

extern "C" {
#include <libavutil/log.h>
}

#include "looplive/core/log.hpp"
#include "looplive/packager/packager.hpp"
#include "media_fixture.hpp"

TEST_CASE("FFmpeg's messages go to the ffmpeg logger, one line per record", "[packager]") {
  looplive::test::ScratchDir root("packager");
  looplive::packager::PackagerConfig config;
  config.media_root = root.path().string();
  const looplive::packager::Packager packager(config);

  std::ostringstream captured;
  auto capture = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  capture->set_pattern("%l|%v");
  const auto logger = looplive::core::logger("ffmpeg");
  const auto level = logger->level();
  logger->set_level(spdlog::level::info);
  logger->sinks().push_back(capture);
  av_log(nullptr, AV_LOG_ERROR, "first line\nsecond %d\n", 2);
  av_log(nullptr, AV_LOG_WARNING, "built ");
  av_log(nullptr, AV_LOG_WARNING, "in pieces\n");
  av_log(nullptr, AV_LOG_DEBUG, "below the logger's level\n");
  logger->sinks().pop_back();
  logger->set_level(level);

  CHECK(captured.str() ==
        "error|first line\n"
        "error|second 2\n"
        "warning|built in pieces\n");
}
