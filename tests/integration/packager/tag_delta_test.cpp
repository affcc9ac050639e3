// Delta updates that skip date ranges (_HLS_skip=v2): a live playlist lists
// every tag still on screen, however old; its v2 delta update lists only the
// tags added or changed within the skip boundary and names those that left
// the playlist within it, so an LL-HLS player reloading three times a second
// stops fetching every card of the show again.

#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "looplive/packager/packager.hpp"
#include "media_fixture.hpp"
#include "packaging_run.hpp"

using looplive::core::EndReason;
using looplive::core::MediaPacket;
using looplive::core::ProductTag;
using looplive::core::PublishGrant;
using looplive::core::TagAction;
using looplive::packager::Packager;
namespace lt = looplive::packager::testing;

namespace {

struct Posting {
  std::string product;
  TagAction action = TagAction::show;
  std::optional<int64_t> duration_ms;
};

bool lists(std::string_view playlist, uint64_t tag_id) {
  return playlist.find("#EXT-X-DATERANGE:ID=\"tag-" + std::to_string(tag_id) + "\"") !=
         std::string_view::npos;
}

// From the last whole segment on: what a delta update shares with the
// playlist it stands for (the newest segment, the parts, the preload hint).
std::string_view newest_lines(std::string_view playlist) {
  const size_t at = playlist.rfind("#EXTINF:");
  return at == std::string_view::npos ? std::string_view() : playlist.substr(at);
}

std::string_view media_sequence(std::string_view playlist) {
  const size_t at = playlist.find("#EXT-X-MEDIA-SEQUENCE:");
  if (at == std::string_view::npos) return {};
  return playlist.substr(at, playlist.find('\n', at) - at);
}

std::string removed_attribute(std::string_view delta) {
  const std::string_view key = "RECENTLY-REMOVED-DATERANGES=\"";
  const size_t at = delta.find(key);
  if (at == std::string_view::npos) return "(none)";
  const size_t start = at + key.size();
  return std::string(delta.substr(start, delta.find('"', start) - start));
}

}  // namespace

TEST_CASE("a delta update that skips date ranges keeps recent tags and names removed ones",
          "[packager][tags]") {
  const lt::Demuxed clip = lt::demux_flv(lt::fixture("av"));
  for (const auto& track : clip.tracks) REQUIRE(track.timescale == 1000);
  int64_t last_dts = 0;
  for (const MediaPacket& p : clip.packets) last_dts = std::max(last_dts, p.dts);
  // The clip played six times back to back: 36 s of show, its keyframes 2 s apart.
  const int64_t play_ms = (last_dts + 100) / 100 * 100;

  lt::Run run;
  run.config.live_window = 8;  // 16 s: past the 12 s skip boundary of 2 s segments
  run.config.write_live_to_disk = false;
  int64_t now = lt::kNoon;
  run.options.clock = [&now] { return now; };
  Packager packager(run.config, run.options);
  auto sink = packager.open(PublishGrant{"d", false});
  for (const auto& track : clip.tracks) sink->on_track(track);

  // Tag 1 stays on screen all show; tag 2 is gone after 0.3 s; tag 3's card
  // is hidden by tag 4 at 15 s, which gives tag 3 an end (a changed line).
  std::map<int64_t, Posting> schedule{{1000, {"a", TagAction::show, std::nullopt}},
                                      {1500, {"b", TagAction::show, 300}},
                                      {4000, {"c", TagAction::show, std::nullopt}},
                                      {15000, {"c", TagAction::hide, std::nullopt}}};
  uint64_t next_id = 1;
  const auto post = [&](const Posting& posting) {
    const auto stamp = packager.stamp_tag("d", std::nullopt, std::nullopt);
    REQUIRE(stamp);
    ProductTag tag;
    tag.id = next_id++;
    tag.product_id = posting.product;
    tag.action = posting.action;
    tag.duration_ms = posting.duration_ms;
    tag.media_time_ms = stamp->media_time_ms;
    tag.wall_clock_ms = stamp->wall_clock_ms;
    tag.cue_json = R"({"productId":")" + posting.product + R"("})";
    REQUIRE(packager.add_tag("d", std::move(tag)));
  };

  // The view at 24 s is kept and its delta updates read at the end of the
  // show: they are rendered when first asked for, and must still be those
  // of its playlist, not of the window 12 s later.
  std::shared_ptr<const looplive::packager::LiveView> view_at_24;
  std::string full_at_24;
  bool checked_at_8 = false;
  for (int play = 0; play < 6; ++play) {
    for (MediaPacket packet : clip.packets) {
      packet.dts += play * play_ms;
      packet.pts += play * play_ms;
      now = lt::kNoon + packet.dts;
      while (!schedule.empty() && schedule.begin()->first <= packet.dts) {
        post(schedule.begin()->second);
        schedule.erase(schedule.begin());
      }
      if (!checked_at_8 && packet.dts >= 8000) {
        // The window holds 8 s so far, nothing past the 12 s skip boundary:
        // no delta update, the whole playlist is the answer, and nothing is
        // kept to render one from.
        checked_at_8 = true;
        const auto view = packager.view("d");
        REQUIRE(view != nullptr);
        REQUIRE(view->text("video.m3u8") != nullptr);
        CHECK(view->video()->deltas == nullptr);
        CHECK(view->delta_text("video.m3u8", false) == nullptr);
        CHECK(view->delta_text("video.m3u8", true) == nullptr);
      }
      if (view_at_24 == nullptr && packet.dts >= 24000) {
        view_at_24 = packager.view("d");
        REQUIRE(view_at_24 != nullptr);
        full_at_24 = std::string(view_at_24->text("video.m3u8")->text());
      }
      sink->on_packet(packet);
    }
  }
  REQUIRE(view_at_24->delta_text("video.m3u8", false) != nullptr);
  const std::string delta_at_24 = std::string(view_at_24->delta_text("video.m3u8", false)->text());
  REQUIRE(view_at_24->delta_text("video.m3u8", true) != nullptr);
  const std::string delta_v2_at_24 =
      std::string(view_at_24->delta_text("video.m3u8", true)->text());
  INFO(full_at_24);
  INFO(delta_at_24);
  INFO(delta_v2_at_24);
  CHECK(full_at_24.find("CAN-SKIP-UNTIL=12.000,CAN-SKIP-DATERANGES=YES") != std::string::npos);
  // The whole playlist and the segments-only delta list every tag still on screen.
  for (const uint64_t id : {1, 3, 4}) {
    CHECK(lists(full_at_24, id));
    CHECK(lists(delta_at_24, id));
  }
  CHECK_FALSE(lists(full_at_24, 2));  // its card left before the window
  // The v2 delta: tag 1 was added 23 s ago and never changed; tag 3 changed
  // at 15 s and tag 4 came then; tag 2 left the playlist at about 18 s.
  CHECK(delta_v2_at_24.find("#EXT-X-VERSION:10\n") != std::string::npos);
  CHECK_FALSE(lists(delta_v2_at_24, 1));
  CHECK(lists(delta_v2_at_24, 3));
  CHECK(lists(delta_v2_at_24, 4));
  CHECK(removed_attribute(delta_v2_at_24) == "tag-2");
  CHECK(delta_at_24.find("RECENTLY-REMOVED-DATERANGES") == std::string::npos);
  for (const std::string& delta : {delta_at_24, delta_v2_at_24}) {
    CHECK(delta.find("#EXT-X-SKIP:SKIPPED-SEGMENTS=") != std::string::npos);
    CHECK(media_sequence(delta) == media_sequence(full_at_24));
    CHECK(!newest_lines(full_at_24).empty());
    CHECK(newest_lines(delta) == newest_lines(full_at_24));
  }

  // At 36 s: tags 3 and 4 left the playlist at about 31 s, tag 2 is too long gone to name.
  const auto view = packager.view("d");
  REQUIRE(view != nullptr);
  const std::string full = std::string(view->text("video.m3u8")->text());
  REQUIRE(view->delta_text("video.m3u8", true) != nullptr);
  const std::string delta_v2 = std::string(view->delta_text("video.m3u8", true)->text());
  INFO(delta_v2);
  CHECK(lists(full, 1));
  CHECK_FALSE(lists(full, 3));
  CHECK_FALSE(lists(delta_v2, 1));
  CHECK(removed_attribute(delta_v2) == "tag-3\ttag-4");
  sink->finish(EndReason::publisher_closed);
  packager.end_stream("d");
}
