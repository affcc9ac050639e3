// A stream with more than one rendition of a kind (what a ladder feeds the
// packager): each is one more track, cut on the same frames, listed as its
// own variant and Representation, and recorded like the others.

#include <catch2/catch.hpp>
#include <string>

#include "looplive/packager/packager.hpp"
#include "media_fixture.hpp"
#include "packaging_run.hpp"

using looplive::core::EndReason;
using looplive::core::MediaKind;
using looplive::core::PublishGrant;
using looplive::packager::Packager;
namespace lt = looplive::packager::testing;
namespace fs = std::filesystem;

namespace {

constexpr uint8_t kRungTrack = 2;

lt::Demuxed ladder() {
  return lt::with_rendition(lt::demux_flv(lt::fixture("av")), lt::demux_flv(lt::fixture("small")),
                            kRungTrack, 1);
}

}  // namespace

TEST_CASE("a second video rendition gets its own playlist, variant and Representation",
          "[packager]") {
  const lt::Demuxed media = ladder();
  lt::Run run;
  Packager packager(run.config, run.options);
  auto sink = packager.open(PublishGrant{"r", true});
  lt::feed(*sink, media);
  sink->finish(EndReason::publisher_closed);

  const fs::path dir = run.live("r");
  const auto source = lt::segments_of(dir / "video.m3u8");
  const auto rung = lt::segments_of(dir / "video_1.m3u8");
  REQUIRE(source.size() == 3);
  REQUIRE(rung.size() == source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    CHECK(rung[i].seconds == source[i].seconds);  // cut on the same frames
    CHECK(rung[i].uri == "v1_" + std::to_string(i + 1) + ".m4s");
  }
  const std::string index = lt::text_of(dir / "index.m3u8");
  INFO(index);
  CHECK(lt::count_of(index, "#EXT-X-STREAM-INF:") == 2);
  CHECK(lt::count_of(index, "#EXT-X-MEDIA:TYPE=AUDIO") == 1);
  CHECK(index.find("RESOLUTION=640x360,FRAME-RATE=30.000,AUDIO=\"audio\"\nvideo.m3u8\n") !=
        std::string::npos);
  CHECK(index.find("RESOLUTION=320x180,FRAME-RATE=30.000,AUDIO=\"audio\"\nvideo_1.m3u8\n") !=
        std::string::npos);
  const std::string mpd = lt::text_of(dir / "manifest.mpd");
  CHECK(lt::count_of(mpd, "<AdaptationSet") == 2);
  CHECK(mpd.find("<Representation id=\"video_1\"") != std::string::npos);
  CHECK(mpd.find("initialization=\"init_v1.mp4\" media=\"v1_$Number$.m4s\"") != std::string::npos);

  const auto view = packager.view("r");
  REQUIRE(view != nullptr);
  const auto* second = view->track({MediaKind::video, 1});
  REQUIRE(second != nullptr);
  CHECK(second->track.width == 320);
  CHECK(view->text("video_1.m3u8") != nullptr);
  CHECK(view->file("init_v1.mp4") != nullptr);
  CHECK(view->file("v1_2.m4s") != nullptr);

  const auto ended = packager.end_stream("r");
  CHECK(ended.recorded);
  CHECK(fs::exists(dir / "recording_video_1.m3u8"));
  const std::string vod = lt::text_of(run.vods() / "r.m3u8");
  INFO(vod);
  CHECK(lt::count_of(vod, "#EXT-X-STREAM-INF:") == 2);
  CHECK(lt::segments_of(run.vods() / "r_video_1.m3u8").size() == 3);
  for (const char* entry : {"r.m3u8", "r_video_1.m3u8", "r.mpd", "r.mp4"}) {
    lt::check_decodes_clean(run.vods() / entry);
  }
  // The download is what the seller sent.
  const auto probe = lt::run({"ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                              "stream=width", "-of", "csv=p=0", (run.vods() / "r.mp4").string()});
  CHECK(probe.output == "640\n");
}

TEST_CASE("a ladder's renditions continue across a reconnect", "[packager]") {
  const lt::Demuxed media = ladder();
  lt::Run run;
  Packager packager(run.config, run.options);
  for (int publish = 0; publish < 2; ++publish) {
    auto sink = packager.open(PublishGrant{"c", false});
    lt::feed(*sink, media);
    sink->finish(EndReason::publisher_closed);
  }
  const fs::path dir = run.live("c");
  const std::string rung = lt::text_of(dir / "video_1.m3u8");
  INFO(rung);
  CHECK(lt::count_of(rung, "#EXT-X-DISCONTINUITY\n") == 1);
  CHECK(lt::segments_of(dir / "video_1.m3u8").size() == lt::segments_of(dir / "video.m3u8").size());
  packager.end_stream("c");
  lt::check_decodes_clean(dir / "index.m3u8");
  lt::check_decodes_clean(dir / "manifest.mpd");
}
