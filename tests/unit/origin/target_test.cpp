#include <catch2/catch.hpp>

#include "target.hpp"

using namespace looplive::origin;

namespace {

const std::string kId = "ab546c68-9163-421e-95a3-69e091d505ee";

bool is_live(std::string_view path, const std::string& id, const std::string& file) {
  auto result = parse_target(path);
  const auto* target = std::get_if<Target>(&result);
  return target && target->area == Target::Area::live && target->stream_id == id &&
         target->file == file;
}

bool refused(std::string_view path) {
  return std::holds_alternative<TargetError>(parse_target(path));
}

}  // namespace

TEST_CASE("live paths name a stream id and one of its files", "[origin][target]") {
  CHECK(is_live("/live/" + kId + "/index.m3u8", kId, "index.m3u8"));
  CHECK(is_live("/live/" + kId + "/video.m3u8", kId, "video.m3u8"));
  CHECK(is_live("/live/" + kId + "/manifest.mpd", kId, "manifest.mpd"));
  CHECK(is_live("/live/" + kId + "/init_v_1.mp4", kId, "init_v_1.mp4"));
  CHECK(is_live("/live/" + kId + "/a_17.m4s", kId, "a_17.m4s"));
  CHECK(is_live("/live/" + kId + "/thumbnail.jpg", kId, "thumbnail.jpg"));
  // Escapes are decoded once, so an encoded letter is that letter.
  CHECK(is_live("/live/" + kId + "/v_%31.m4s", kId, "v_1.m4s"));
}

TEST_CASE("stream ids are lowercase canonical UUIDs", "[origin][target]") {
  CHECK(is_stream_id(kId));
  CHECK_FALSE(is_stream_id("AB546C68-9163-421E-95A3-69E091D505EE"));
  CHECK_FALSE(is_stream_id("ab546c689163421e95a369e091d505ee"));
  CHECK_FALSE(is_stream_id("{ab546c68-9163-421e-95a3-69e091d505ee}"));
  CHECK_FALSE(is_stream_id("ab546c68-9163-421e-95a3-69e091d505eg"));
  CHECK_FALSE(is_stream_id("ab546c68-9163-421e-95a3-69e091d505e"));
  CHECK_FALSE(is_stream_id("sk_Xh03cfVxXR_kqDfkYTCZiDc6EXdt9qnLeBCWMknDi4Q"));
  CHECK(refused("/live/AB546C68-9163-421E-95A3-69E091D505EE/index.m3u8"));
  CHECK(refused("/live/sk_Xh03cfVxXR_kqDfkYTCZiDc6EXdt9qnLeBCWMknDi4Q/index.m3u8"));
}

TEST_CASE("file names: safe characters and a known extension only", "[origin][target]") {
  CHECK(is_media_file_name("v_1.m4s"));
  CHECK(is_media_file_name("init_a.mp4"));
  CHECK_FALSE(is_media_file_name(".m3u8"));
  CHECK_FALSE(is_media_file_name(".hidden.m3u8"));
  CHECK_FALSE(is_media_file_name("index.m3u8.tmp"));
  CHECK_FALSE(is_media_file_name("index.html"));
  CHECK_FALSE(is_media_file_name("passwd"));
  CHECK_FALSE(is_media_file_name("a b.m3u8"));
  CHECK_FALSE(is_media_file_name("caf\xc3\xa9.m3u8"));
  CHECK_FALSE(is_media_file_name(std::string(200, 'a') + ".m4s"));
}

TEST_CASE("vods: names that start with the stream id", "[origin][target]") {
  for (std::string file : {kId + ".m3u8", kId + "_video.m3u8", kId + ".mpd", kId + ".mp4"}) {
    auto result = parse_target("/vods/" + file);
    const auto* target = std::get_if<Target>(&result);
    REQUIRE(target);
    CHECK(target->area == Target::Area::vods);
    CHECK(target->stream_id == kId);
    CHECK(target->file == file);
  }
  CHECK(refused("/vods/index.m3u8"));
  CHECK(refused("/vods/" + kId + "x.m3u8"));
  CHECK(refused("/vods/" + kId));
}

TEST_CASE("vods: a packaged upload's folder, named by its job id", "[origin][target]") {
  for (std::string file :
       {"index.m3u8", "video_1.m3u8", "manifest.mpd", "v1_12.m4s", "download.mp4", "poster.jpg"}) {
    auto result = parse_target("/vods/" + kId + "/" + file);
    const auto* target = std::get_if<Target>(&result);
    REQUIRE(target);
    CHECK(target->area == Target::Area::vod_job);
    CHECK(target->stream_id == kId);
    CHECK(target->file == file);
  }
  CHECK(refused("/vods/" + kId + "/"));
  CHECK(refused("/vods/" + kId + "/.index.m3u8.tmp"));
  CHECK(refused("/vods/" + kId + "/notes.txt"));
  CHECK(refused("/vods/AB546C68-9163-421E-95A3-69E091D505EE/index.m3u8"));
  CHECK(refused("/vods/" + kId + "/../" + kId + ".m3u8"));
  CHECK(refused("/vods/" + kId + "/a/index.m3u8"));
  CHECK(refused("/vods/vod-work/index.m3u8"));
}

TEST_CASE("the service paths", "[origin][target]") {
  auto health = parse_target("/healthz");
  REQUIRE(std::holds_alternative<Target>(health));
  CHECK(std::get<Target>(health).area == Target::Area::health);
  auto time = parse_target("/time");
  REQUIRE(std::holds_alternative<Target>(time));
  CHECK(std::get<Target>(time).area == Target::Area::time);
  CHECK(refused("/healthz/"));
  CHECK(refused("/"));
  CHECK(refused(""));
}

TEST_CASE("dangerous paths are refused before any file is looked at", "[origin][target]") {
  const std::string base = "/live/" + kId + "/";
  CHECK(refused(base + "../../../etc/passwd"));
  CHECK(refused(base + "%2e%2e/%2e%2e/etc/passwd"));
  CHECK(refused(base + "%252e%252e%252fetc%252fpasswd"));
  CHECK(refused(base + "..%5c..%5cetc%5cpasswd"));
  CHECK(refused(base + "index.m3u8%00.jpg"));
  CHECK(refused("/live//" + kId + "/index.m3u8"));
  CHECK(refused("//etc/passwd"));
  CHECK(refused("live/" + kId + "/index.m3u8"));
  CHECK(refused("http://evil/live/" + kId + "/index.m3u8"));
  CHECK(refused(base + "%c0%ae%c0%ae/passwd"));
  CHECK(refused("/live/./" + kId + "/index.m3u8"));
  CHECK(refused("/vods/../live/" + kId + "/index.m3u8"));
  CHECK(std::get<TargetError>(parse_target(base + "%zz.m3u8")) == TargetError::bad_request);
  CHECK(std::get<TargetError>(parse_target(base + "index.m3u8%")) == TargetError::bad_request);
  CHECK(std::get<TargetError>(parse_target(base + "../index.m3u8")) == TargetError::not_found);
}
