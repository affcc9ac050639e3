#include <catch2/catch.hpp>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "dash_manifest.hpp"
#include "hls_playlist.hpp"
#include "looplive/core/base64url.hpp"
#include "tag_book.hpp"
#include "tag_events.hpp"

using looplive::core::ErrorCode;
using looplive::core::ProductTag;
using looplive::core::TagAction;
using namespace looplive::packager;

namespace {

constexpr int64_t kNoon = 1714564800000;  // 2024-05-01T12:00:00Z

ProductTag tag(uint64_t id, std::string product, TagAction action, int64_t at,
               std::optional<int64_t> duration = std::nullopt) {
  ProductTag t;
  t.id = id;
  t.product_id = std::move(product);
  t.action = action;
  t.media_time_ms = at;
  t.wall_clock_ms = kNoon + at;
  t.duration_ms = duration;
  t.cue_json = R"({"id":")" + std::to_string(id) + R"(","productId":")" + t.product_id + R"("})";
  return t;
}

std::vector<uint64_t> ids(const std::vector<TagRange>& ranges) {
  std::vector<uint64_t> out;
  for (const auto& r : ranges) out.push_back(r.tag->id);
  return out;
}

uint32_t u32(const std::vector<uint8_t>& b, size_t at) {
  return uint32_t(b[at]) << 24 | uint32_t(b[at + 1]) << 16 | uint32_t(b[at + 2]) << 8 | b[at + 3];
}

// One emsg box as ISO 23009-1 lays out version 1.
struct Emsg {
  uint32_t timescale, duration, id;
  uint64_t time;
  std::string scheme, value, message;
};

std::vector<Emsg> parse_emsgs(const std::vector<uint8_t>& bytes) {
  std::vector<Emsg> boxes;
  size_t at = 0;
  while (at + 8 <= bytes.size()) {
    const uint32_t size = u32(bytes, at);
    REQUIRE(std::string(bytes.begin() + at + 4, bytes.begin() + at + 8) == "emsg");
    REQUIRE(u32(bytes, at + 8) == 0x01000000);
    Emsg e;
    e.timescale = u32(bytes, at + 12);
    e.time = uint64_t(u32(bytes, at + 16)) << 32 | u32(bytes, at + 20);
    e.duration = u32(bytes, at + 24);
    e.id = u32(bytes, at + 28);
    size_t p = at + 32;
    const auto cstring = [&] {
      std::string s(reinterpret_cast<const char*>(&bytes[p]));
      p += s.size() + 1;
      return s;
    };
    e.scheme = cstring();
    e.value = cstring();
    e.message.assign(bytes.begin() + p, bytes.begin() + at + size);
    boxes.push_back(e);
    at += size;
  }
  REQUIRE(at == bytes.size());
  return boxes;
}

// A video track of three 2 s segments from 4 s, the last after a reconnect,
// at 20 s, as an MPD is given it.
struct VideoAcrossReconnect {
  looplive::core::TrackInfo info;
  std::vector<SegmentInfo> segments{3};

  VideoAcrossReconnect() {
    info.codec_string = "avc1.64001e";
    for (size_t i = 0; i < segments.size(); ++i) {
      segments[i].number = i + 1;
      segments[i].init_uri = "init_v.mp4";
      segments[i].start_ms = 4000 + 2000 * int64_t(i);
      segments[i].duration_ms = 2000;
    }
    segments[2].discontinuity = true;
    segments[2].discontinuity_index = 1;
    segments[2].start_ms = 20000;
  }
  std::vector<DashTrack> tracks(const std::string& media_template) const {
    return {{&info, segments, 1'000'000, media_template}};
  }
};

}  // namespace

TEST_CASE("a tag's card stays until its duration, the product's next tag or a hide",
          "[packager][tags]") {
  TagBook book;
  REQUIRE(book.add(tag(1, "shoe", TagAction::show, 1000)));
  REQUIRE(book.add(tag(2, "hat", TagAction::show, 1500, 800)));
  REQUIRE(book.add(tag(3, "shoe", TagAction::update, 4000)));
  REQUIRE(book.add(tag(4, "shoe", TagAction::hide, 6000)));
  const auto all = book.all();
  REQUIRE(ids(all) == std::vector<uint64_t>{1, 2, 3, 4});
  CHECK(all[0].end_ms == 4000);
  CHECK(all[1].end_ms == 2300);
  CHECK(all[2].end_ms == 6000);
  CHECK(all[3].end_ms == 6000);  // a hide lasts no time
  CHECK(all[3].duration_ms() == 0);
}

TEST_CASE("a live window lists the cards still on screen from before it", "[packager][tags]") {
  TagBook book;
  REQUIRE(book.add(tag(1, "shoe", TagAction::show, 1000)));
  REQUIRE(book.add(tag(2, "hat", TagAction::show, 1500, 800)));
  REQUIRE(book.add(tag(3, "bag", TagAction::show, 2000)));
  REQUIRE(book.add(tag(4, "bag", TagAction::hide, 3000)));
  REQUIRE(book.add(tag(5, "belt", TagAction::show, 9000)));
  REQUIRE(book.add(tag(6, "sock", TagAction::show, 12000)));
  book.note_next_frame(10000);
  // At 5000 only the shoe is still on screen; the belt comes later, and the
  // sock waits for its time.
  CHECK(ids(*book.listed(5000)) == std::vector<uint64_t>{1, 5});
  CHECK(ids(*book.listed(0)) == std::vector<uint64_t>{1, 2, 3, 4, 5});
  CHECK(book.remove(6));
  REQUIRE(book.add(tag(7, "sock", TagAction::show, 10000)));
  CHECK(ids(*book.listed(9500)) == std::vector<uint64_t>{1, 5, 7});
}

TEST_CASE("a live window's list of tags is made again only when it can have changed",
          "[packager][tags]") {
  TagBook book;
  REQUIRE(book.add(tag(1, "shoe", TagAction::show, 1000)));
  REQUIRE(book.add(tag(2, "hat", TagAction::show, 3000)));
  book.note_next_frame(2000);
  const auto first = book.listed(0);
  CHECK(ids(*first) == std::vector<uint64_t>{1});
  book.note_next_frame(2500);  // no tag's time came
  CHECK(book.listed(0) == first);
  book.note_next_frame(3000);  // the hat's did
  const auto with_hat = book.listed(0);
  CHECK(with_hat != first);
  CHECK(ids(*with_hat) == std::vector<uint64_t>{1, 2});
  CHECK(ids(*book.listed(2000)) == std::vector<uint64_t>{1, 2});  // another window
  const auto again = book.listed(0);
  CHECK(ids(*again) == std::vector<uint64_t>{1, 2});
  REQUIRE(book.add(tag(3, "shoe", TagAction::hide, 2800)));  // placed back in time
  const auto hidden = book.listed(0);
  CHECK(hidden != again);
  CHECK(ids(*hidden) == std::vector<uint64_t>{1, 3, 2});
  CHECK(hidden->front().end_ms == 2800);
  REQUIRE(book.add(tag(4, "bag", TagAction::show, 9000)));  // ahead: waits for its time
  CHECK(ids(*book.listed(0)) == std::vector<uint64_t>{1, 3, 2});
  CHECK(book.remove(4));
  book.note_next_frame(1500);  // back before the hat (a republish)
  CHECK(ids(*book.listed(0)) == std::vector<uint64_t>{1});
}

TEST_CASE("a range on air keeps its end", "[packager][tags]") {
  TagBook book;
  REQUIRE(book.add(tag(1, "shoe", TagAction::show, 1000)));
  REQUIRE(book.add(tag(2, "shoe", TagAction::hide, 5000)));
  book.note_next_frame(6000);
  REQUIRE(book.listed(0)->front().end_ms == 5000);  // now on air with its end
  // A tag placed back in time, between them: the aired range keeps its end.
  REQUIRE(book.add(tag(3, "shoe", TagAction::update, 3000)));
  const auto all = book.all();
  CHECK(all[0].end_ms == 5000);
  CHECK(all[1].end_ms == 5000);  // the update lasts to the hide
}

TEST_CASE("tags go on air once, and those of an earlier run are never announced",
          "[packager][tags]") {
  TagBook book;
  REQUIRE(book.add(tag(1, "shoe", TagAction::show, 1000)));
  book.add_missing({tag(1, "shoe", TagAction::show, 1000), tag(2, "hat", TagAction::show, 500)});
  book.note_next_frame(2000);
  book.listed(0);
  const auto aired = book.take_aired();
  REQUIRE(aired.size() == 1);  // tag 2 came from an earlier run
  CHECK(aired[0].id == 1);
  CHECK(aired[0].cue_json.empty());
  book.all();
  CHECK(book.take_aired().empty());
  CHECK(book.remove(2).error().code == ErrorCode::conflict);  // on air already
  // Tag 2 was carried by that run's fragments; only tag 1 goes out now.
  for (const auto& e : parse_emsgs(book.fragment_events(0, 2000, false))) CHECK(e.id == 1);
}

TEST_CASE("a tag can be taken back until it is on air", "[packager][tags]") {
  TagBook book;
  REQUIRE(book.add(tag(1, "shoe", TagAction::show, 1000)));
  REQUIRE(book.add(tag(2, "shoe", TagAction::hide, 5000)));
  REQUIRE(book.add(tag(3, "shoe", TagAction::show, 8000)));
  REQUIRE(book.remove(2));
  // The show before it lasts until the next tag of the product again.
  CHECK(book.all().front().end_ms == 8000);
  CHECK(book.remove(2).error().code == ErrorCode::not_found);
  CHECK(book.add(tag(1, "shoe", TagAction::show, 1000)).error().code == ErrorCode::already_exists);
  book.fragment_events(0, 2000, true);  // tag 1 goes out in a fragment
  CHECK(book.remove(1).error().code == ErrorCode::conflict);
  book.note_next_frame(8000);
  book.listed(7000);  // tag 3 goes out in a playlist
  CHECK(book.remove(3).error().code == ErrorCode::conflict);
}

TEST_CASE("a stream holds a bounded number of tags", "[packager][tags]") {
  TagBook book({2, 1024});
  REQUIRE(book.add(tag(1, "a", TagAction::show, 0)));
  REQUIRE(book.add(tag(2, "b", TagAction::show, 0)));
  const auto full = book.add(tag(3, "c", TagAction::show, 0));
  REQUIRE_FALSE(full);
  CHECK(full.error().code == ErrorCode::conflict);
  TagBook small({100, 40});
  REQUIRE(small.add(tag(1, "a", TagAction::show, 0)));  // 27 bytes of cue
  CHECK_FALSE(small.add(tag(2, "b", TagAction::show, 0)));
}

TEST_CASE("tags are stamped with the next frame, or where the next publish resumes",
          "[packager][tags]") {
  TagBook book;
  CHECK(book.stamp(kNoon, std::nullopt, std::nullopt).error().code == ErrorCode::conflict);
  book.set_wall_origin(kNoon);
  book.note_next_frame(4033);
  book.set_publishing(true);
  auto stamp = book.stamp(kNoon + 9000, std::nullopt, std::nullopt);
  REQUIRE(stamp);
  CHECK(stamp->media_time_ms == 4033);
  CHECK(stamp->wall_clock_ms == kNoon + 4033);
  CHECK(book.stamp(kNoon, 1200, std::nullopt)->media_time_ms == 1200);
  CHECK(book.stamp(kNoon, std::nullopt, kNoon + 2500)->media_time_ms == 2500);
  CHECK(book.stamp(kNoon, std::nullopt, kNoon - 1).error().code == ErrorCode::invalid);
  // Away for longer than the stream ran: the wall clock decides.
  book.set_publishing(false);
  CHECK(book.stamp(kNoon + 9000, std::nullopt, std::nullopt)->media_time_ms == 9000);
}

TEST_CASE("fragments carry new tags once, and every card on screen at a segment start",
          "[packager][tags]") {
  TagBook book;
  REQUIRE(book.add(tag(1, "shoe", TagAction::show, 700)));
  REQUIRE(book.add(tag(2, "hat", TagAction::show, 1200, 5000)));
  REQUIRE(book.add(tag(3, "hat", TagAction::hide, 2600)));

  auto first = parse_emsgs(book.fragment_events(0, 1000, true));
  REQUIRE(first.size() == 2);  // tag 1, under both schemes
  CHECK(first[0].scheme == std::string(kTagScheme));
  CHECK(first[0].value == "1");
  CHECK(first[0].timescale == 1000);
  CHECK(first[0].time == 700);
  CHECK(first[0].duration == 0xffffffff);  // on screen until a later tag says
  CHECK(first[0].id == 1);
  CHECK(first[0].message == R"({"id":"1","productId":"shoe"})");
  CHECK(first[1].scheme == std::string(kId3Scheme));
  const std::vector<uint8_t> id3 = id3_txxx(kId3Description, first[0].message);
  CHECK(first[1].message == std::string(id3.begin(), id3.end()));

  auto second = parse_emsgs(book.fragment_events(1000, 2000, false));
  REQUIRE(second.size() == 2);
  CHECK(second[0].id == 2);
  CHECK(second[0].duration == 5000);  // its own; the hide at 2600 replaces it sooner
  // A segment starting at 2000: tag 3 is new; shoe and hat are repeated.
  auto third = parse_emsgs(book.fragment_events(2000, 3000, true));
  std::vector<uint32_t> carried;
  for (const auto& e : third)
    if (e.scheme == kTagScheme) carried.push_back(e.id);
  CHECK(carried == std::vector<uint32_t>{3, 2, 1});  // new first, then by product name
  // Nothing new, no segment start: nothing.
  CHECK(book.fragment_events(3000, 4000, false).empty());
  // After the hide, only the shoe is still on screen.
  auto fourth = parse_emsgs(book.fragment_events(4000, 5000, true));
  REQUIRE(fourth.size() == 2);
  CHECK(fourth[0].id == 1);
}

TEST_CASE("an ID3 tag holds one TXXX frame with synchsafe sizes", "[packager][tags]") {
  const std::string value(200, 'x');
  const std::vector<uint8_t> id3 = id3_txxx("d", value);
  REQUIRE(id3.size() == 10 + 10 + 1 + 2 + 200);
  CHECK(std::string(id3.begin(), id3.begin() + 3) == "ID3");
  CHECK(id3[3] == 4);
  // 213 bytes after the header: 0x01 0x55 in seven-bit bytes.
  CHECK(std::vector<uint8_t>(id3.begin() + 6, id3.begin() + 10) ==
        std::vector<uint8_t>{0, 0, 1, 0x55});
  CHECK(std::string(id3.begin() + 10, id3.begin() + 14) == "TXXX");
  CHECK(std::vector<uint8_t>(id3.begin() + 14, id3.begin() + 18) ==
        std::vector<uint8_t>{0, 0, 1, 0x4b});  // 203
  CHECK(id3[20] == 3);                         // UTF-8
}

TEST_CASE("a tag is an EXT-X-DATERANGE with its program date time", "[packager][tags]") {
  TagBook book;
  REQUIRE(book.add(tag(7, "shoe-42", TagAction::show, 2500)));
  REQUIRE(book.add(tag(8, "shoe-42", TagAction::hide, 4000)));
  const auto ranges = book.all();
  CHECK(render_daterange(ranges[0]) ==
        "#EXT-X-DATERANGE:ID=\"tag-7\",CLASS=\"com.looplive.product\","
        "START-DATE=\"2024-05-01T12:00:02.500Z\",DURATION=1.500,X-PRODUCT-ID=\"shoe-42\","
        "X-ACTION=\"show\",X-PAYLOAD=\"" +
            looplive::core::base64url(ranges[0].tag->cue_json) + "\"\n");
  const std::string open = render_daterange({ranges[0].tag, std::nullopt});
  CHECK(open.find("DURATION") == std::string::npos);

  SegmentInfo s;
  s.number = 1;
  s.uri = "v_1.m4s";
  s.init_uri = "init_v.mp4";
  s.duration_ms = 2000;
  s.wall_clock_ms = kNoon;
  MediaPlaylistOptions options;
  const std::string lines = render_dateranges(ranges);
  options.dateranges = lines;
  const std::string playlist = render_media_playlist(std::span(&s, 1), options);
  // Before the first segment's tags, in time order.
  const auto first = playlist.find("#EXT-X-DATERANGE:ID=\"tag-7\"");
  const auto second = playlist.find("#EXT-X-DATERANGE:ID=\"tag-8\"");
  REQUIRE(first != std::string::npos);
  CHECK(second > first);
  CHECK(second < playlist.find("#EXT-X-MAP"));
}

TEST_CASE("an MPD lists tags in the period they start in", "[packager][tags]") {
  const VideoAcrossReconnect video;
  const std::vector<DashTrack> tracks = video.tracks("v_$Number$.m4s");
  TagBook book;
  REQUIRE(book.add(tag(1, "shoe", TagAction::show, 1000)));  // before the window, still on
  REQUIRE(book.add(tag(2, "hat", TagAction::show, 5000, 500)));
  REQUIRE(book.add(tag(3, "hat", TagAction::show, 21000)));
  book.note_next_frame(22000);
  const auto ranges = book.listed(4000);
  MpdOptions options;
  options.events = *ranges;
  options.inband_events = true;
  const std::string mpd = render_mpd(tracks, options);
  const auto period1 = mpd.find("<Period id=\"1\"");
  REQUIRE(period1 != std::string::npos);
  const std::string head = mpd.substr(0, period1);
  const std::string tail = mpd.substr(period1);
  CHECK(head.find("<EventStream schemeIdUri=\"urn:looplive:tag:2026\" value=\"1\" "
                  "timescale=\"1000\" presentationTimeOffset=\"4000\">") != std::string::npos);
  CHECK(head.find("<Event id=\"1\" presentationTime=\"4000\">{&quot;") == std::string::npos);
  CHECK(head.find("<Event id=\"1\" presentationTime=\"4000\" duration=\"18000\">{\"id\":\"1\"") !=
        std::string::npos);
  CHECK(head.find("<Event id=\"2\" presentationTime=\"5000\" duration=\"500\">") !=
        std::string::npos);
  CHECK(tail.find("<Event id=\"3\" presentationTime=\"21000\" duration=\"1000\">") !=
        std::string::npos);
  CHECK(head.find("<InbandEventStream schemeIdUri=\"urn:looplive:tag:2026\" value=\"1\"/>") !=
        std::string::npos);
}

TEST_CASE("an MPD whose tags alone changed takes its AdaptationSets as kept", "[packager][tags]") {
  const VideoAcrossReconnect video;
  const std::vector<DashTrack> tracks = video.tracks("v_$Time$.m4s");
  TagBook book;
  REQUIRE(book.add(tag(1, "shoe", TagAction::show, 5000)));
  book.note_next_frame(22000);
  std::map<uint64_t, std::string> kept;
  MpdOptions options;
  options.publish_ms = kNoon;
  options.inband_events = true;
  const auto before = book.listed(4000);
  options.events = *before;
  options.kept_tracks = &kept;
  const std::string first = render_mpd(tracks, options);
  REQUIRE(kept.size() == 2);
  CHECK(first.find(kept.at(0)) != std::string::npos);
  CHECK(kept.at(1).find("<AdaptationSet") != std::string::npos);

  REQUIRE(book.add(tag(2, "hat", TagAction::show, 21000)));
  const auto after = book.listed(4000);
  options.events = *after;
  options.publish_ms = kNoon + 333;
  options.reuse_tracks = true;
  const std::string reused = render_mpd(tracks, options);
  MpdOptions fresh = options;
  fresh.kept_tracks = nullptr;
  CHECK(reused == render_mpd(tracks, fresh));
  CHECK(reused != first);
  CHECK(reused.find("<Event id=\"2\"") != std::string::npos);

  // What is kept is what goes in, unmade: the caller says when it still holds.
  kept.at(1) = "    <!-- kept -->\n";
  CHECK(render_mpd(tracks, options).find("<!-- kept -->") != std::string::npos);
  options.reuse_tracks = false;
  CHECK(render_mpd(tracks, options) == render_mpd(tracks, fresh));
  CHECK(kept.at(1).find("<AdaptationSet") != std::string::npos);
}
