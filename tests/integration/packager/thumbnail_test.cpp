#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "looplive/packager/packager.hpp"
#include "media_fixture.hpp"
#include "packaging_run.hpp"

using looplive::core::EndReason;
using looplive::core::PublishGrant;
using looplive::packager::Packager;
namespace lt = looplive::packager::testing;
namespace fs = std::filesystem;

TEST_CASE("thumbnails are JPEG stills of each segment's keyframe, when asked for", "[packager]") {
  const lt::Demuxed media = lt::demux_flv(lt::fixture("av"));
  for (const bool wanted : {false, true}) {
    DYNAMIC_SECTION("thumbnails " << wanted) {
      lt::Run run;
      run.options.thumbnails = wanted;
      run.options.thumbnail_width = 160;
      Packager packager(run.config, run.options);
      auto sink = packager.open(PublishGrant{"t", false});
      lt::feed(*sink, media);
      sink->finish(EndReason::publisher_closed);
      const fs::path jpeg = run.live("t") / "thumbnail.jpg";
      const auto view = packager.view("t");
      REQUIRE(view != nullptr);
      CHECK(fs::exists(jpeg) == wanted);
      CHECK((view->file("thumbnail.jpg") != nullptr) == wanted);
      if (!wanted) continue;
      const auto in_view = view->file("thumbnail.jpg")->span();
      CHECK(looplive::test::read_bytes(jpeg) ==
            std::vector<uint8_t>(in_view.begin(), in_view.end()));
      const auto probe =
          lt::run({"ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height",
                   "-of", "csv=p=0", (jpeg).string()});
      INFO(probe.output);
      CHECK(probe.status == 0);
      CHECK(probe.output == "mjpeg,160,90\n");
      // A picture of the test pattern, not a flat grey frame: its colours vary.
      const auto stats =
          lt::run({"ffprobe", "-v", "error", "-f", "lavfi", "-i",
                   "movie=" + jpeg.string() + ",signalstats", "-show_entries",
                   "frame_tags=lavfi.signalstats.YMIN,lavfi.signalstats.YMAX", "-of", "csv=p=0"});
      INFO(stats.output);
      REQUIRE(stats.status == 0);
      const auto comma = stats.output.find(',');
      REQUIRE(comma != std::string::npos);
      CHECK(std::stoi(stats.output.substr(comma + 1)) - std::stoi(stats.output) > 100);
    }
  }
}
