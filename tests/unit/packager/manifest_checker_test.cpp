// The conformance checker that integration tests feed with every manifest
// they see: it must pass what the packager renders and catch each defect.
#include "manifest_checker.hpp"

#include <catch2/catch.hpp>
#include <vector>

#include "dash_manifest.hpp"
#include "hls_playlist.hpp"

using namespace looplive::packager;
using looplive::test::ManifestChecker;

namespace {

SegmentInfo segment(uint64_t number, int64_t start, int64_t duration) {
  SegmentInfo s;
  s.number = number;
  s.uri = "v_" + std::to_string(number) + ".m4s";
  s.init_uri = "init_v.mp4";
  s.start_ms = start;
  s.duration_ms = duration;
  return s;
}

std::vector<SegmentInfo> window(uint64_t first, uint64_t count) {
  std::vector<SegmentInfo> segments;
  for (uint64_t n = first; n < first + count; ++n) {
    segments.push_back(segment(n, int64_t(n - 1) * 2000, 2000));
  }
  return segments;
}

std::string playlist(const std::vector<SegmentInfo>& segments, int64_t target = 2) {
  MediaPlaylistOptions options;
  options.target_seconds = target;
  return render_media_playlist(segments, options);
}

}  // namespace

TEST_CASE("the checker passes a sliding live playlist and a 404 before the first segment",
          "[manifest]") {
  ManifestChecker checker;
  checker.feed("video.m3u8", 404, "Not Found\n");
  for (uint64_t first = 1; first < 6; ++first)
    checker.feed("video.m3u8", 200, playlist(window(first, 3)));
  CHECK(checker.problems().empty());
  CHECK(checker.versions("video.m3u8") == 5);
}

TEST_CASE("the checker catches each manifest defect", "[manifest]") {
  SECTION("an empty 200") {
    ManifestChecker checker;
    checker.feed("audio.m3u8", 200, "");
    CHECK(checker.problems().size() == 1);
  }
  SECTION("a 404 after the playlist was served") {
    ManifestChecker checker;
    checker.feed("video.m3u8", 200, playlist(window(1, 3)));
    checker.feed("video.m3u8", 404, "Not Found\n");
    CHECK(checker.problems().size() == 1);
  }
  SECTION("a target duration that changes") {
    ManifestChecker checker;
    checker.feed("video.m3u8", 200, playlist(window(1, 3), 2));
    checker.feed("video.m3u8", 200, playlist(window(2, 3), 3));
    CHECK(checker.problems().size() == 1);
  }
  SECTION("a segment over the target duration") {
    ManifestChecker checker;
    checker.feed("video.m3u8", 200,
                 "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:1\n"
                 "#EXTINF:2.499,\nv_1.m4s\n#EXTINF:2.500,\nv_2.m4s\n");
    REQUIRE(checker.problems().size() == 1);
    CHECK(checker.problems()[0].find("v_2.m4s") != std::string::npos);
  }
  SECTION("a media sequence that goes back or names another file") {
    ManifestChecker checker;
    checker.feed("video.m3u8", 200, playlist(window(5, 3)));
    checker.feed("video.m3u8", 200, playlist(window(1, 3)));
    CHECK(checker.problems().size() == 1);
    std::vector<SegmentInfo> renamed = window(5, 3);
    renamed[2].uri = "v_other.m4s";
    checker.feed("video.m3u8", 200, playlist(renamed));
    CHECK(checker.problems().size() == 2);
  }
  SECTION("an MPD segment number that moves in time") {
    ManifestChecker checker;
    looplive::core::TrackInfo video;
    video.kind = looplive::core::MediaKind::video;
    video.codec_string = "avc1.64001e";
    MpdOptions options;
    const std::map<uint64_t, int64_t> began{{0, 0}};
    options.period_starts = &began;
    std::vector<SegmentInfo> first = window(1, 3);
    const std::vector<DashTrack> tracks{{&video, first, 1'000'000, "v_$Number$.m4s"}};
    checker.feed("manifest.mpd", 200, render_mpd(tracks, options));
    std::vector<SegmentInfo> moved = window(2, 3);
    moved[0].start_ms += 40;
    const std::vector<DashTrack> later{{&video, moved, 1'000'000, "v_$Number$.m4s"}};
    checker.feed("manifest.mpd", 200, render_mpd(later, options));
    CHECK(checker.problems().size() == 1);
    checker.feed("manifest.mpd", 200, "<?xml version=\"1.0\"?>\n<MPD>");
    CHECK(checker.problems().size() == 2);
  }
  SECTION("a time-addressed MPD segment whose duration changes") {
    ManifestChecker checker;
    looplive::core::TrackInfo video;
    video.kind = looplive::core::MediaKind::video;
    MpdOptions options;
    const std::map<uint64_t, int64_t> began{{0, 0}};
    options.period_starts = &began;
    std::vector<SegmentInfo> first = window(1, 3);
    const std::vector<DashTrack> tracks{
        {&video, first, 1, looplive::media::files::segment_template("v", true)}};
    checker.feed("manifest.mpd", 200, render_mpd(tracks, options));
    std::vector<SegmentInfo> slid = window(2, 3);  // the same times, one more segment
    const std::vector<DashTrack> later{
        {&video, slid, 1, looplive::media::files::segment_template("v", true)}};
    checker.feed("manifest.mpd", 200, render_mpd(later, options));
    CHECK(checker.problems().empty());
    slid[1].duration_ms = 1500;
    const std::vector<DashTrack> changed{
        {&video, slid, 1, looplive::media::files::segment_template("v", true)}};
    checker.feed("manifest.mpd", 200, render_mpd(changed, options));
    CHECK(checker.problems().size() == 1);
  }
  SECTION("a live period whose start moves as the window slides") {
    ManifestChecker checker;
    looplive::core::TrackInfo video;
    video.kind = looplive::core::MediaKind::video;
    MpdOptions options;
    const auto feed = [&](uint64_t first) {
      const std::vector<SegmentInfo> segments = window(first, 3);
      const std::vector<DashTrack> tracks{
          {&video, segments, 1, looplive::media::files::segment_template("v", true)}};
      checker.feed("manifest.mpd", 200, render_mpd(tracks, options));
    };
    const std::map<uint64_t, int64_t> began{{0, 0}};
    options.period_starts = &began;  // where the show began, as the live window knows it
    feed(1);
    feed(2);
    CHECK(checker.problems().empty());
    options.period_starts = nullptr;  // the start taken from the first listed segment
    feed(3);
    CHECK(checker.problems().size() == 1);
    options.dynamic = false;  // the finished show plays from zero
    feed(3);
    CHECK(checker.problems().size() == 1);
  }
  SECTION("a low-latency MPD's growing segment may end sooner than listed, never later") {
    ManifestChecker checker;
    looplive::core::TrackInfo video;
    video.kind = looplive::core::MediaKind::video;
    MpdOptions options;
    options.chunk_ms = 500;
    options.growing_ms = 2400;
    const std::vector<SegmentInfo> first = window(1, 3);
    const std::vector<DashTrack> tracks{{&video, first, 1,
                                         looplive::media::files::segment_template("v", true),
                                         segment(4, 6000, 0)}};
    checker.feed("manifest.mpd", 200, render_mpd(tracks, options));
    std::vector<SegmentInfo> grown = window(1, 4);  // segment 4 ended after 2 s
    const std::vector<DashTrack> later{{&video, grown, 1,
                                        looplive::media::files::segment_template("v", true),
                                        segment(5, 8000, 0)}};
    checker.feed("manifest.mpd", 200, render_mpd(later, options));
    CHECK(checker.problems().empty());
    grown.push_back(segment(5, 8000, 2500));  // longer than the 2.4 s it was listed with
    const std::vector<DashTrack> overlong{
        {&video, grown, 1, looplive::media::files::segment_template("v", true)}};
    checker.feed("manifest.mpd", 200, render_mpd(overlong, options));
    CHECK(checker.problems().size() == 1);
  }
}

TEST_CASE("the checker reads preload hints and wants one on a live LL-HLS playlist", "[manifest]") {
  const std::vector<SegmentInfo> segments = window(1, 3);
  MediaPlaylistOptions options;
  options.target_seconds = 2;
  options.part_target_ms = 333;
  options.preload_hint = "v_4_p2.m4s";
  const std::string live = render_media_playlist(segments, options);
  const auto hint = looplive::test::preload_hint(live);
  REQUIRE(hint.has_value());
  CHECK(hint->msn == 4);
  CHECK(hint->part == 2);
  CHECK(hint->uri == "v_4_p2.m4s");

  ManifestChecker checker;
  checker.feed("video.m3u8", 200, live);
  CHECK(checker.problems().empty());
  options.preload_hint.clear();
  checker.feed("video.m3u8", 200, render_media_playlist(segments, options));
  CHECK(checker.problems().size() == 1);
  CHECK_FALSE(looplive::test::preload_hint(render_media_playlist(segments, options)).has_value());
}

TEST_CASE("the checker reads delta updates between whole playlists", "[manifest]") {
  MediaPlaylistOptions options;
  options.part_target_ms = 333;
  options.skip_until_ms = 12000;
  options.preload_hint = "v_next_p0.m4s";
  const auto render = [&](uint64_t first, bool delta) {
    options.delta = delta ? DeltaUpdate::skip_segments : DeltaUpdate::none;
    return render_media_playlist(window(first, 10), options);
  };
  ManifestChecker checker;
  checker.feed("video.m3u8", 200, render(1, false));
  checker.feed("video.m3u8", 200, render(2, true));
  checker.feed("video.m3u8", 200, render(2, false));
  checker.feed("video.m3u8", 200, render(3, true));
  options.delta = DeltaUpdate::skip_dateranges_too;
  checker.feed("video.m3u8", 200, render_media_playlist(window(3, 10), options));
  CHECK(checker.problems().empty());

  SECTION("a delta update whose skip count is wrong names other files") {
    std::string wrong = render(3, true);
    wrong.replace(wrong.find("SKIPPED-SEGMENTS=4"), 18, "SKIPPED-SEGMENTS=3");
    checker.feed("video.m3u8", 200, wrong);
    CHECK_FALSE(checker.problems().empty());
  }
  SECTION("a delta update from a playlist that does not offer them") {
    std::string unoffered = render(3, true);
    unoffered.replace(unoffered.find(",CAN-SKIP-UNTIL=12.000"), 22, "");
    checker.feed("video.m3u8", 200, unoffered);
    CHECK(checker.problems().size() == 1);
  }
  SECTION("a delta update below the version its EXT-X-SKIP needs") {
    options.delta = DeltaUpdate::skip_dateranges_too;
    std::string old_version = render_media_playlist(window(4, 10), options);
    old_version.replace(old_version.find("#EXT-X-VERSION:10"), 17, "#EXT-X-VERSION:9");
    checker.feed("video.m3u8", 200, old_version);
    CHECK(checker.problems().size() == 1);
  }
}

TEST_CASE("the checker passes product tags as rendered and catches a changed DATERANGE",
          "[manifest]") {
  TagBook book;
  looplive::core::ProductTag show;
  show.id = 4;
  show.product_id = "sku-1";
  show.media_time_ms = 2500;
  show.wall_clock_ms = 1714564802500;
  show.cue_json = R"({"id":"4"})";
  REQUIRE(book.add(show));
  book.note_next_frame(8000);
  std::vector<SegmentInfo> segments = window(1, 3);
  for (auto& s : segments) s.wall_clock_ms = 1714564800000 + s.start_ms;
  const auto render = [&] {
    const auto ranges = *book.listed(0);
    MediaPlaylistOptions options;
    options.target_seconds = 2;
    const std::string lines = render_dateranges(ranges);
    options.dateranges = lines;
    return render_media_playlist(segments, options);
  };
  ManifestChecker checker;
  checker.feed("video.m3u8", 200, render());
  looplive::core::ProductTag hide = show;
  hide.id = 5;
  hide.action = looplive::core::TagAction::hide;
  hide.media_time_ms = 4000;
  hide.wall_clock_ms += 1500;
  REQUIRE(book.add(hide));
  const std::string with_end = render();  // the show gains a DURATION: allowed
  REQUIRE(with_end.find("DURATION=1.500") != std::string::npos);
  checker.feed("video.m3u8", 200, with_end);
  CHECK(checker.problems().empty());

  std::string moved = with_end;
  const auto at = moved.find("START-DATE=\"2024-05-01T12:00:02.500Z\"");
  REQUIRE(at != std::string::npos);
  moved.replace(at, 37, "START-DATE=\"2024-05-01T12:00:02.600Z\"");
  checker.feed("video.m3u8", 200, moved);
  REQUIRE(checker.problems().size() == 1);
  CHECK(checker.problems()[0].find("DATERANGE tag-4 changed START-DATE") != std::string::npos);
}
