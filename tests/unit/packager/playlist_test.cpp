#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "dash_manifest.hpp"
#include "hls_playlist.hpp"

using looplive::core::Codec;
using looplive::core::MediaKind;
using looplive::core::TrackInfo;
using namespace looplive::packager;

namespace {

constexpr int64_t kNoon = 1714564800000;  // 2024-05-01T12:00:00Z

SegmentInfo segment(uint64_t number, int64_t start, int64_t duration, bool discontinuity = false,
                    uint64_t index = 0, std::string init = "init_v.mp4") {
  SegmentInfo s;
  s.number = number;
  s.uri = "v_" + std::to_string(number) + ".m4s";
  s.init_uri = std::move(init);
  s.start_ms = start;
  s.duration_ms = duration;
  s.wall_clock_ms = kNoon + start;
  s.bytes = 250'000;
  s.discontinuity = discontinuity;
  s.discontinuity_index = index;
  return s;
}

TrackInfo video_track() {
  TrackInfo t;
  t.kind = MediaKind::video;
  t.codec = Codec::h264;
  t.codec_string = "avc1.64001e";
  t.width = 640;
  t.height = 360;
  t.frame_rate = 30;
  return t;
}

TrackInfo audio_track() {
  TrackInfo t;
  t.id = 1;
  t.kind = MediaKind::audio;
  t.codec = Codec::aac;
  t.codec_string = "mp4a.40.2";
  t.sample_rate = 48000;
  t.channels = 2;
  return t;
}

}  // namespace

TEST_CASE("live media playlist for a small window", "[packager]") {
  const std::vector<SegmentInfo> window{segment(5, 8000, 2000), segment(6, 10000, 2002),
                                        segment(7, 12002, 1998)};
  MediaPlaylistOptions options;
  options.target_seconds = 2;
  // 2.002 s rounds to 2: within the target, as RFC 8216 compares them.
  CHECK(render_media_playlist(window, options) ==
        "#EXTM3U\n"
        "#EXT-X-VERSION:6\n"
        "#EXT-X-TARGETDURATION:2\n"
        "#EXT-X-MEDIA-SEQUENCE:5\n"
        "#EXT-X-INDEPENDENT-SEGMENTS\n"
        "#EXT-X-MAP:URI=\"init_v.mp4\"\n"
        "#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:08.000Z\n"
        "#EXTINF:2.000,\n"
        "v_5.m4s\n"
        "#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:10.000Z\n"
        "#EXTINF:2.002,\n"
        "v_6.m4s\n"
        "#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:12.002Z\n"
        "#EXTINF:1.998,\n"
        "v_7.m4s\n");
}

TEST_CASE("the target duration is the stream's, whatever the window holds", "[packager]") {
  MediaPlaylistOptions options;
  options.target_seconds = 2;
  const std::vector<SegmentInfo> short_ones{segment(9, 16000, 600), segment(10, 16600, 1000)};
  CHECK(render_media_playlist(short_ones, options).find("#EXT-X-TARGETDURATION:2\n") !=
        std::string::npos);
  // 2.499 s still rounds to 2; a segment of 2.5 s (only one recorded before
  // segments were capped) raises it rather than break the RFC.
  const std::vector<SegmentInfo> capped{segment(9, 16000, 2499)};
  CHECK(render_media_playlist(capped, options).find("#EXT-X-TARGETDURATION:2\n") !=
        std::string::npos);
  const std::vector<SegmentInfo> over{segment(9, 16000, 2500)};
  CHECK(render_media_playlist(over, options).find("#EXT-X-TARGETDURATION:3\n") !=
        std::string::npos);
  CHECK(render_media_playlist({}, options).empty());
}

TEST_CASE("the stream's target duration and segment cap", "[packager]") {
  CHECK(target_duration_seconds(2000) == 2);
  CHECK(target_duration_seconds(1500) == 2);
  CHECK(target_duration_seconds(1000) == 1);
  CHECK(target_duration_seconds(6000) == 6);
  for (int64_t configured : {1000, 1500, 2000, 4000, 6000}) {
    const int64_t target = target_duration_seconds(configured);
    CHECK(rounded_seconds(max_segment_ms(configured)) == target);
    // Room for the audio segment's end, up to an audio frame after the video cut.
    CHECK(rounded_seconds(max_segment_ms(configured) + 64) == target);
  }
}

TEST_CASE("segments cut between keyframes are not declared independent", "[packager]") {
  std::vector<SegmentInfo> window{segment(1, 0, 2400), segment(2, 2400, 600)};
  window[1].independent = false;
  MediaPlaylistOptions options;
  options.target_seconds = 2;
  CHECK(render_media_playlist(window, options).find("INDEPENDENT") == std::string::npos);
  window[1].independent = true;
  CHECK(render_media_playlist(window, options).find("#EXT-X-INDEPENDENT-SEGMENTS\n") !=
        std::string::npos);
}

TEST_CASE("media playlist with discontinuities and an ended stream", "[packager]") {
  // One break already left the window; the next one changed the codec configuration.
  const std::vector<SegmentInfo> window{segment(5, 8000, 2000, false, 1),
                                        segment(6, 10000, 1500, true, 2, "init_v_1.mp4"),
                                        segment(7, 11500, 2000, false, 2, "init_v_1.mp4")};
  MediaPlaylistOptions options;
  options.ended = true;
  CHECK(render_media_playlist(window, options) ==
        "#EXTM3U\n"
        "#EXT-X-VERSION:6\n"
        "#EXT-X-TARGETDURATION:2\n"
        "#EXT-X-MEDIA-SEQUENCE:5\n"
        "#EXT-X-DISCONTINUITY-SEQUENCE:1\n"
        "#EXT-X-INDEPENDENT-SEGMENTS\n"
        "#EXT-X-MAP:URI=\"init_v.mp4\"\n"
        "#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:08.000Z\n"
        "#EXTINF:2.000,\n"
        "v_5.m4s\n"
        "#EXT-X-DISCONTINUITY\n"
        "#EXT-X-MAP:URI=\"init_v_1.mp4\"\n"
        "#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:10.000Z\n"
        "#EXTINF:1.500,\n"
        "v_6.m4s\n"
        "#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:11.500Z\n"
        "#EXTINF:2.000,\n"
        "v_7.m4s\n"
        "#EXT-X-ENDLIST\n");
}

TEST_CASE("delta updates skip the segments older than six target durations", "[packager]") {
  CHECK(skip_until_ms(2, 12000) == 0);  // a window no longer than the boundary skips nothing
  CHECK(skip_until_ms(2, 30000) == 12000);
  // Nine 2 s segments, a break at the third and a new init at the ninth.
  std::vector<SegmentInfo> window;
  for (uint64_t n = 1; n <= 9; ++n) {
    const bool brk = n == 3;
    window.push_back(segment(n, int64_t(n - 1) * 2000, 2000, brk, n >= 3 ? 1 : 0,
                             n >= 9 ? "init_v_1.mp4" : "init_v.mp4"));
  }
  // The boundary is 12 s before the end (18 s): segments ending by 6 s go.
  CHECK(skippable_segments(window, 12000) == 3);
  CHECK(skippable_segments(window, 0) == 0);

  MediaPlaylistOptions options;
  options.part_target_ms = 333;
  options.skip_until_ms = 12000;
  const std::string full = render_media_playlist(window, options);
  CHECK(full.find("CAN-SKIP-UNTIL=12.000") != std::string::npos);
  CHECK(full.find("#EXT-X-SKIP") == std::string::npos);

  options.delta = DeltaUpdate::skip_segments;
  const std::string delta = render_media_playlist(window, options);
  CHECK(delta ==
        "#EXTM3U\n"
        "#EXT-X-VERSION:9\n"
        "#EXT-X-TARGETDURATION:2\n"
        "#EXT-X-MEDIA-SEQUENCE:1\n"
        "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.999,CAN-SKIP-UNTIL=12.000,"
        "CAN-SKIP-DATERANGES=YES\n"
        "#EXT-X-PART-INF:PART-TARGET=0.333\n"
        "#EXT-X-INDEPENDENT-SEGMENTS\n"
        "#EXT-X-SKIP:SKIPPED-SEGMENTS=3\n"
        "#EXT-X-MAP:URI=\"init_v.mp4\"\n"
        "#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:06.000Z\n"
        "#EXTINF:2.000,\n"
        "v_4.m4s\n"
        "#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:08.000Z\n"
        "#EXTINF:2.000,\n"
        "v_5.m4s\n"
        "#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:10.000Z\n"
        "#EXTINF:2.000,\n"
        "v_6.m4s\n"
        "#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:12.000Z\n"
        "#EXTINF:2.000,\n"
        "v_7.m4s\n"
        "#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:14.000Z\n"
        "#EXTINF:2.000,\n"
        "v_8.m4s\n"
        "#EXT-X-MAP:URI=\"init_v_1.mp4\"\n"
        "#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:16.000Z\n"
        "#EXTINF:2.000,\n"
        "v_9.m4s\n");

  // Nothing to skip, or a playlist that is not live LL-HLS: no delta update.
  CHECK(render_media_playlist(std::span(window).subspan(3), options).empty());
  options.ended = true;
  CHECK(render_media_playlist(window, options).empty());
  options.delta = DeltaUpdate::none;
  CHECK(render_media_playlist(window, options).find("CAN-SKIP-UNTIL") == std::string::npos);
}

TEST_CASE("a delta update that skips date ranges lists the recent ones and names those removed",
          "[packager]") {
  std::vector<SegmentInfo> window;
  for (uint64_t n = 1; n <= 9; ++n) window.push_back(segment(n, int64_t(n - 1) * 2000, 2000));
  MediaPlaylistOptions options;
  options.part_target_ms = 333;
  options.skip_until_ms = 12000;
  options.delta = DeltaUpdate::skip_dateranges_too;
  options.dateranges = "#EXT-X-DATERANGE:ID=\"tag-9\",START-DATE=\"2024-05-01T12:00:15.000Z\"\n";
  options.removed_dateranges = "tag-3\ttag-4";
  const std::string delta = render_media_playlist(window, options);
  CHECK(delta.starts_with("#EXTM3U\n#EXT-X-VERSION:10\n"));
  CHECK(delta.find("#EXT-X-DATERANGE:ID=\"tag-9\",START-DATE=\"2024-05-01T12:00:15.000Z\"\n"
                   "#EXT-X-SKIP:SKIPPED-SEGMENTS=3,RECENTLY-REMOVED-DATERANGES=\"tag-3\ttag-4\"\n"
                   "#EXT-X-MAP") != std::string::npos);
  // The attribute is required even when nothing was removed.
  options.removed_dateranges = "";
  CHECK(render_media_playlist(window, options)
            .find("#EXT-X-SKIP:SKIPPED-SEGMENTS=3,RECENTLY-REMOVED-DATERANGES=\"\"\n") !=
        std::string::npos);
}

TEST_CASE("a discontinuity at the head of the window is still tagged", "[packager]") {
  const std::vector<SegmentInfo> window{segment(6, 10000, 2000, true, 1)};
  const std::string text = render_media_playlist(window, {});
  CHECK(text.find("#EXT-X-DISCONTINUITY-SEQUENCE") == std::string::npos);
  CHECK(text.find("#EXT-X-DISCONTINUITY\n") != std::string::npos);
}

TEST_CASE("VOD media playlist", "[packager]") {
  const std::vector<SegmentInfo> all{segment(1, 0, 2000), segment(2, 2000, 1000)};
  MediaPlaylistOptions options;
  options.vod = true;
  options.uri_prefix = "../live/abc/";
  CHECK(render_media_playlist(all, options) ==
        "#EXTM3U\n"
        "#EXT-X-VERSION:6\n"
        "#EXT-X-TARGETDURATION:2\n"
        "#EXT-X-MEDIA-SEQUENCE:1\n"
        "#EXT-X-PLAYLIST-TYPE:VOD\n"
        "#EXT-X-INDEPENDENT-SEGMENTS\n"
        "#EXT-X-MAP:URI=\"../live/abc/init_v.mp4\"\n"
        "#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:00.000Z\n"
        "#EXTINF:2.000,\n"
        "../live/abc/v_1.m4s\n"
        "#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:02.000Z\n"
        "#EXTINF:1.000,\n"
        "../live/abc/v_2.m4s\n"
        "#EXT-X-ENDLIST\n");
}

TEST_CASE("multivariant playlists", "[packager]") {
  const TrackInfo video = video_track();
  const TrackInfo audio = audio_track();
  const VariantTrack v{&video, "video.m3u8", 1'200'000, 1'000'000};
  const VariantTrack a{&audio, "audio.m3u8", 100'000, 100'000};
  const std::vector<VariantTrack> both{v, a};
  CHECK(render_multivariant_playlist(both) ==
        "#EXTM3U\n"
        "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"audio\",DEFAULT=YES,AUTOSELECT=YES,"
        "CHANNELS=\"2\",URI=\"audio.m3u8\"\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=1300000,AVERAGE-BANDWIDTH=1100000,"
        "CODECS=\"avc1.64001e,mp4a.40.2\",RESOLUTION=640x360,FRAME-RATE=30.000,AUDIO=\"audio\"\n"
        "video.m3u8\n");

  const std::vector<VariantTrack> audio_only{a};
  CHECK(render_multivariant_playlist(audio_only) ==
        "#EXTM3U\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=100000,AVERAGE-BANDWIDTH=100000,CODECS=\"mp4a.40.2\"\n"
        "audio.m3u8\n");

  const std::vector<VariantTrack> video_only{v};
  CHECK(render_multivariant_playlist(video_only) ==
        "#EXTM3U\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=1200000,AVERAGE-BANDWIDTH=1000000,"
        "CODECS=\"avc1.64001e\",RESOLUTION=640x360,FRAME-RATE=30.000\n"
        "video.m3u8\n");
}

TEST_CASE("a ladder lists one variant per video rendition, each with the audio", "[packager]") {
  const TrackInfo video = video_track();
  TrackInfo rung = video_track();
  rung.rendition = 1;
  rung.width = 320;
  rung.height = 180;
  rung.codec_string = "avc1.64000d";
  const TrackInfo audio = audio_track();
  const std::vector<VariantTrack> ladder{{&video, "video.m3u8", 1'200'000, 1'000'000},
                                         {&rung, "video_1.m3u8", 400'000, 300'000},
                                         {&audio, "audio.m3u8", 100'000, 90'000}};
  CHECK(render_multivariant_playlist(ladder) ==
        "#EXTM3U\n"
        "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"audio\",DEFAULT=YES,AUTOSELECT=YES,"
        "CHANNELS=\"2\",URI=\"audio.m3u8\"\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=1300000,AVERAGE-BANDWIDTH=1090000,"
        "CODECS=\"avc1.64001e,mp4a.40.2\",RESOLUTION=640x360,FRAME-RATE=30.000,AUDIO=\"audio\"\n"
        "video.m3u8\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=500000,AVERAGE-BANDWIDTH=390000,"
        "CODECS=\"avc1.64000d,mp4a.40.2\",RESOLUTION=320x180,FRAME-RATE=30.000,AUDIO=\"audio\"\n"
        "video_1.m3u8\n");
}

TEST_CASE("bit rates are measured per segment", "[packager]") {
  BitrateMeter meter;
  meter.add(250'000, 2000);  // 1 Mbit/s
  meter.add(450'000, 2000);  // 1.8 Mbit/s
  meter.add(1, 0);           // ignored: no duration
  CHECK(meter.peak() == 1'800'000);
  CHECK(meter.average() == 1'400'000);
}

TEST_CASE("dynamic MPD for one period", "[packager]") {
  const TrackInfo video = video_track();
  const TrackInfo audio = audio_track();
  const std::vector<SegmentInfo> v{segment(5, 8000, 2000), segment(6, 10000, 2000),
                                   segment(7, 12000, 2500)};
  std::vector<SegmentInfo> a{segment(5, 8021, 2005), segment(6, 10026, 1995)};
  for (auto& s : a) s.init_uri = "init_a.mp4";
  const std::vector<DashTrack> tracks{{&video, v, 1'000'000, "v_$Number$.m4s"},
                                      {&audio, a, 128'000, "a_$Number$.m4s"}};
  MpdOptions options;
  options.availability_start_ms = kNoon;
  options.publish_ms = kNoon + 14'600;
  CHECK(render_mpd(tracks, options) ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" "
        "profiles=\"urn:mpeg:dash:profile:isoff-live:2011\" type=\"dynamic\" "
        "availabilityStartTime=\"2024-05-01T12:00:00.000Z\" "
        "publishTime=\"2024-05-01T12:00:14.600Z\" minimumUpdatePeriod=\"PT2S\" "
        "timeShiftBufferDepth=\"PT12S\" suggestedPresentationDelay=\"PT6S\" "
        "minBufferTime=\"PT2S\">\n"
        "  <Period id=\"0\" start=\"PT8S\">\n"
        "    <AdaptationSet id=\"0\" contentType=\"video\" mimeType=\"video/mp4\" "
        "segmentAlignment=\"true\" startWithSAP=\"1\">\n"
        "      <SegmentTemplate timescale=\"1000\" presentationTimeOffset=\"8000\" "
        "startNumber=\"5\" initialization=\"init_v.mp4\" media=\"v_$Number$.m4s\">\n"
        "        <SegmentTimeline>\n"
        "          <S t=\"8000\" d=\"2000\" r=\"1\"/>\n"
        "          <S d=\"2500\"/>\n"
        "        </SegmentTimeline>\n"
        "      </SegmentTemplate>\n"
        "      <Representation id=\"video\" codecs=\"avc1.64001e\" bandwidth=\"1000000\" "
        "width=\"640\" height=\"360\" frameRate=\"30\"/>\n"
        "    </AdaptationSet>\n"
        "    <AdaptationSet id=\"1\" contentType=\"audio\" mimeType=\"audio/mp4\" "
        "segmentAlignment=\"true\" startWithSAP=\"1\">\n"
        "      <SegmentTemplate timescale=\"1000\" presentationTimeOffset=\"8000\" "
        "startNumber=\"5\" initialization=\"init_a.mp4\" media=\"a_$Number$.m4s\">\n"
        "        <SegmentTimeline>\n"
        "          <S t=\"8021\" d=\"2005\"/>\n"
        "          <S d=\"1995\"/>\n"
        "        </SegmentTimeline>\n"
        "      </SegmentTemplate>\n"
        "      <Representation id=\"audio\" codecs=\"mp4a.40.2\" bandwidth=\"128000\" "
        "audioSamplingRate=\"48000\">\n"
        "        <AudioChannelConfiguration "
        "schemeIdUri=\"urn:mpeg:dash:23003:3:audio_channel_configuration:2011\" value=\"2\"/>\n"
        "      </Representation>\n"
        "    </AdaptationSet>\n"
        "  </Period>\n"
        "  <UTCTiming schemeIdUri=\"urn:mpeg:dash:utc:http-iso:2014\" value=\"/time\"/>\n"
        "</MPD>\n");
}

TEST_CASE("a ladder's video renditions share one AdaptationSet, each with its template",
          "[packager]") {
  const TrackInfo video = video_track();
  TrackInfo rung = video_track();
  rung.rendition = 1;
  rung.width = 320;
  rung.height = 180;
  const TrackInfo audio = audio_track();
  const std::vector<SegmentInfo> v{segment(1, 0, 2000)};
  std::vector<SegmentInfo> r = v;
  r[0].init_uri = "init_v1.mp4";
  std::vector<SegmentInfo> a{segment(1, 21, 2005)};
  a[0].init_uri = "init_a.mp4";
  const std::vector<DashTrack> tracks{{&video, v, 1'000'000, "v_$Number$.m4s"},
                                      {&rung, r, 300'000, "v1_$Number$.m4s"},
                                      {&audio, a, 128'000, "a_$Number$.m4s"}};
  MpdOptions options;
  options.dynamic = false;
  const std::string mpd = render_mpd(tracks, options);
  CHECK(mpd.find("    <AdaptationSet id=\"0\" contentType=\"video\" mimeType=\"video/mp4\" "
                 "segmentAlignment=\"true\" startWithSAP=\"1\">\n"
                 "      <Representation id=\"video\" codecs=\"avc1.64001e\" bandwidth=\"1000000\" "
                 "width=\"640\" height=\"360\" frameRate=\"30\">\n"
                 "        <SegmentTemplate timescale=\"1000\" presentationTimeOffset=\"0\" "
                 "startNumber=\"1\" initialization=\"init_v.mp4\" media=\"v_$Number$.m4s\">\n"
                 "          <SegmentTimeline>\n"
                 "            <S t=\"0\" d=\"2000\"/>\n"
                 "          </SegmentTimeline>\n"
                 "        </SegmentTemplate>\n"
                 "      </Representation>\n"
                 "      <Representation id=\"video_1\" codecs=\"avc1.64001e\" bandwidth=\"300000\" "
                 "width=\"320\" height=\"180\" frameRate=\"30\">\n"
                 "        <SegmentTemplate timescale=\"1000\" presentationTimeOffset=\"0\" "
                 "startNumber=\"1\" initialization=\"init_v1.mp4\" media=\"v1_$Number$.m4s\">\n") !=
        std::string::npos);
  CHECK(mpd.find("<AdaptationSet id=\"2\" contentType=\"audio\"") != std::string::npos);
  size_t sets = 0;
  for (size_t at = mpd.find("<AdaptationSet"); at != std::string::npos;
       at = mpd.find("<AdaptationSet", at + 1))
    ++sets;
  CHECK(sets == 2);
}

TEST_CASE("a discontinuity opens a new period; an ended stream gets a static MPD", "[packager]") {
  const TrackInfo video = video_track();
  const std::vector<SegmentInfo> v{segment(1, 0, 2000), segment(2, 2000, 1000),
                                   segment(3, 3000, 2000, true, 1, "init_v_1.mp4")};
  const std::vector<DashTrack> tracks{{&video, v, 1'000'000, "v_$Number$.m4s"}};
  MpdOptions options;
  options.dynamic = false;
  options.base_url = "../live/abc/";
  CHECK(render_mpd(tracks, options) ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" "
        "profiles=\"urn:mpeg:dash:profile:isoff-live:2011\" type=\"static\" "
        "mediaPresentationDuration=\"PT5S\" minBufferTime=\"PT2S\">\n"
        "  <BaseURL>../live/abc/</BaseURL>\n"
        "  <Period id=\"0\" start=\"PT0S\">\n"
        "    <AdaptationSet id=\"0\" contentType=\"video\" mimeType=\"video/mp4\" "
        "segmentAlignment=\"true\" startWithSAP=\"1\">\n"
        "      <SegmentTemplate timescale=\"1000\" presentationTimeOffset=\"0\" "
        "startNumber=\"1\" initialization=\"init_v.mp4\" media=\"v_$Number$.m4s\">\n"
        "        <SegmentTimeline>\n"
        "          <S t=\"0\" d=\"2000\"/>\n"
        "          <S d=\"1000\"/>\n"
        "        </SegmentTimeline>\n"
        "      </SegmentTemplate>\n"
        "      <Representation id=\"video\" codecs=\"avc1.64001e\" bandwidth=\"1000000\" "
        "width=\"640\" height=\"360\" frameRate=\"30\"/>\n"
        "    </AdaptationSet>\n"
        "  </Period>\n"
        "  <Period id=\"1\" start=\"PT3S\">\n"
        "    <AdaptationSet id=\"0\" contentType=\"video\" mimeType=\"video/mp4\" "
        "segmentAlignment=\"true\" startWithSAP=\"1\">\n"
        "      <SegmentTemplate timescale=\"1000\" presentationTimeOffset=\"3000\" "
        "startNumber=\"3\" initialization=\"init_v_1.mp4\" media=\"v_$Number$.m4s\">\n"
        "        <SegmentTimeline>\n"
        "          <S t=\"3000\" d=\"2000\"/>\n"
        "        </SegmentTimeline>\n"
        "      </SegmentTemplate>\n"
        "      <Representation id=\"video\" codecs=\"avc1.64001e\" bandwidth=\"1000000\" "
        "width=\"640\" height=\"360\" frameRate=\"30\"/>\n"
        "    </AdaptationSet>\n"
        "  </Period>\n"
        "  <UTCTiming schemeIdUri=\"urn:mpeg:dash:utc:http-iso:2014\" value=\"/time\"/>\n"
        "</MPD>\n");
}

TEST_CASE("fractional frame rates stay exact in the MPD", "[packager]") {
  TrackInfo video = video_track();
  video.frame_rate = 30000.0 / 1001;
  const std::vector<SegmentInfo> v{segment(1, 0, 2002)};
  const std::vector<DashTrack> tracks{{&video, v, 1, "v_$Number$.m4s"}};
  CHECK(render_mpd(tracks, {}).find("frameRate=\"30000/1001\"") != std::string::npos);
  video.frame_rate = 12.5;
  CHECK(render_mpd(tracks, {}).find("frameRate=\"12500/1000\"") != std::string::npos);
  CHECK(render_mpd(std::vector<DashTrack>{}, {}).empty());
}

TEST_CASE("a static MPD plays periods back to back; a dynamic one keeps the gap", "[packager]") {
  const TrackInfo video = video_track();
  const std::vector<SegmentInfo> v{segment(1, 0, 2000), segment(2, 2000, 2000),
                                   segment(3, 30000, 2000, true, 1)};
  const std::vector<DashTrack> tracks{{&video, v, 1'000'000, "v_$Number$.m4s"}};
  MpdOptions options;
  options.dynamic = false;
  const std::string vod = render_mpd(tracks, options);
  CHECK(vod.find("mediaPresentationDuration=\"PT6S\"") != std::string::npos);
  CHECK(vod.find("<Period id=\"1\" start=\"PT4S\">") != std::string::npos);
  CHECK(vod.find("presentationTimeOffset=\"30000\"") != std::string::npos);
  options.dynamic = true;
  const std::string live = render_mpd(tracks, options);
  CHECK(live.find("<Period id=\"1\" start=\"PT30S\">") != std::string::npos);
}

TEST_CASE("a live period keeps the start it began with as its segments leave the window",
          "[packager]") {
  const TrackInfo video = video_track();
  const std::vector<SegmentInfo> v{segment(7, 12000, 2000), segment(8, 14000, 2000)};
  const std::vector<DashTrack> tracks{{&video, v, 1'000'000, "v_$Number$.m4s"}};
  MpdOptions options;
  CHECK(render_mpd(tracks, options).find("<Period id=\"0\" start=\"PT12S\">") != std::string::npos);
  const std::map<uint64_t, int64_t> began{{0, 1000}};
  options.period_starts = &began;
  const std::string live = render_mpd(tracks, options);
  CHECK(live.find("<Period id=\"0\" start=\"PT1S\">") != std::string::npos);
  CHECK(live.find("presentationTimeOffset=\"1000\"") != std::string::npos);
  CHECK(live.find("<S t=\"12000\" d=\"2000\" r=\"1\"/>") != std::string::npos);
  options.dynamic = false;
  CHECK(render_mpd(tracks, options).find("<Period id=\"0\" start=\"PT0S\">") != std::string::npos);
}

TEST_CASE("a low-latency live MPD lists the growing segment; a static one never does",
          "[packager]") {
  const TrackInfo video = video_track();
  const std::vector<SegmentInfo> v{segment(1, 0, 2000), segment(2, 2000, 2000)};
  std::vector<DashTrack> tracks{{&video, v, 1'000'000, "v_t$Time$.m4s", segment(3, 4000, 0)}};
  MpdOptions options;
  options.chunk_ms = 500;
  options.growing_ms = 2400;
  options.target_latency_ms = 2000;
  const std::string live = render_mpd(tracks, options);
  CHECK(live.find("minimumUpdatePeriod=\"PT0.5S\"") != std::string::npos);
  CHECK(live.find("  <ServiceDescription id=\"0\">\n"
                  "    <Latency target=\"2000\" min=\"1000\" max=\"6000\"/>\n"
                  "    <PlaybackRate min=\"0.96\" max=\"1.04\"/>\n"
                  "  </ServiceDescription>\n"
                  "  <Period id=\"0\" start=\"PT0S\">\n") != std::string::npos);
  CHECK(live.find("media=\"v_t$Time$.m4s\" availabilityTimeOffset=\"1.9\" "
                  "availabilityTimeComplete=\"false\">\n"
                  "        <SegmentTimeline>\n"
                  "          <S t=\"0\" d=\"2000\" r=\"1\"/>\n"
                  "          <S d=\"2400\"/>\n"
                  "        </SegmentTimeline>\n") != std::string::npos);
  // Without chunks it is an ordinary live MPD.
  options.chunk_ms = 0;
  const std::string plain = render_mpd(tracks, options);
  CHECK(plain.find("<S t=\"0\" d=\"2000\" r=\"1\"/>\n        </SegmentTimeline>") !=
        std::string::npos);
  CHECK(plain.find("ServiceDescription") == std::string::npos);
  CHECK(plain.find("availabilityTime") == std::string::npos);
  options.chunk_ms = 500;
  options.dynamic = false;
  const std::string finished = render_mpd(tracks, options);
  CHECK(finished.find("mediaPresentationDuration=\"PT4S\"") != std::string::npos);
  CHECK(finished.find("d=\"2400\"") == std::string::npos);
  CHECK(finished.find("ServiceDescription") == std::string::npos);
}
