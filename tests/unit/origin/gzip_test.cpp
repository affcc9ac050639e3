#include <zlib.h>

#include <catch2/catch.hpp>
#include <stdexcept>
#include <vector>

#include "gzip_cache.hpp"
#include "origin_harness.hpp"

using namespace looplive;
using namespace looplive::origin;
using namespace looplive::origin::test;

namespace {

std::string gunzip(const std::string& gzipped) {
  z_stream stream{};
  REQUIRE(inflateInit2(&stream, 15 + 16) == Z_OK);  // gzip only
  std::string out(gzipped.size() * 40 + 1024, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gzipped.data()));
  stream.avail_in = static_cast<uInt>(gzipped.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int status = inflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  inflateEnd(&stream);
  if (status != Z_STREAM_END) throw std::runtime_error("not one whole gzip stream");
  return out;
}

// A media playlist listing product tags: long and repetitive.
std::string tagged_playlist() {
  std::string text = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n";
  for (int i = 0; i < 60; ++i)
    text += "#EXT-X-DATERANGE:ID=\"tag-" + std::to_string(i) +
            "\",CLASS=\"com.looplive.product\",START-DATE=\"2026-12-06T10:00:0" +
            std::to_string(i % 10) + ".000Z\",X-PRODUCT-ID=\"sku-" + std::to_string(i % 7) + "\"\n";
  return text + "#EXTINF:2.000,\nv_1.m4s\n";
}

const std::vector<std::string> kBrowser = {"Accept-Encoding: gzip, deflate, br, zstd"};

}  // namespace

TEST_CASE("live playlists and MPDs go gzipped to clients that take it, with their own ETag",
          "[origin][gzip]") {
  MediaRoot root;
  MapSource source;
  const std::string playlist = tagged_playlist();
  REQUIRE(playlist.size() > 4096);
  source.put(kStreamId, "video.m3u8", playlist, "\"v41\"");
  source.put(kStreamId, "manifest.mpd", "<MPD>" + std::string(3000, ' ') + "</MPD>", "\"v41\"");
  source.put(kStreamId, "index.m3u8", "#EXTM3U\n#short\n", "\"v41\"");
  source.put(kStreamId, "v_1.m4s", std::string(5000, 'x'), "\"v1\"");
  RunningOrigin origin(test_config(root), source);
  Client client(origin.port());

  auto plain = client.request("GET", live("video.m3u8"));
  CHECK(plain.status == 200);
  CHECK(plain.body == playlist);
  CHECK_FALSE(plain.has("content-encoding"));
  CHECK(plain["vary"] == "Accept-Encoding");
  CHECK(plain["etag"] == "\"v41\"");

  auto gzipped = client.request("GET", live("video.m3u8"), kBrowser);
  CHECK(gzipped.status == 200);
  CHECK(gzipped["content-encoding"] == "gzip");
  CHECK(gzipped["vary"] == "Accept-Encoding");
  CHECK(gzipped["etag"] == "\"v41-gz\"");
  CHECK(gzipped["content-length"] == std::to_string(gzipped.body.size()));
  CHECK(gzipped.body.size() * 4 < playlist.size());
  CHECK(gunzip(gzipped.body) == playlist);
  // Encoded once: the next client gets the very same bytes.
  CHECK(client.request("GET", live("video.m3u8"), kBrowser).body == gzipped.body);

  // Each representation revalidates with its own ETag.
  auto revalidated = client.request("GET", live("video.m3u8"),
                                    {"Accept-Encoding: gzip", "If-None-Match: \"v41-gz\""});
  CHECK(revalidated.status == 304);
  CHECK(revalidated["etag"] == "\"v41-gz\"");
  CHECK(client.request("GET", live("video.m3u8"), {"If-None-Match: \"v41-gz\""}).status == 200);

  // A range of the gzipped bytes, and a range past them, whose answer is plain text.
  auto part =
      client.request("GET", live("video.m3u8"), {"Accept-Encoding: gzip", "Range: bytes=0-9"});
  CHECK(part.status == 206);
  CHECK(part.body == gzipped.body.substr(0, 10));
  CHECK(part["content-encoding"] == "gzip");
  auto beyond =
      client.request("GET", live("video.m3u8"), {"Accept-Encoding: gzip", "Range: bytes=999999-"});
  CHECK(beyond.status == 416);
  CHECK_FALSE(beyond.has("content-encoding"));

  CHECK_FALSE(client.request("GET", live("video.m3u8"), {"Accept-Encoding: gzip;q=0"})
                  .has("content-encoding"));
  CHECK_FALSE(
      client.request("GET", live("video.m3u8"), {"Accept-Encoding: br"}).has("content-encoding"));

  auto mpd = client.request("GET", live("manifest.mpd"), kBrowser);
  CHECK(mpd["content-encoding"] == "gzip");
  CHECK(gunzip(mpd.body) == "<MPD>" + std::string(3000, ' ') + "</MPD>");

  // Too short to be worth it: as it is, though it could have been either.
  auto index = client.request("GET", live("index.m3u8"), kBrowser);
  CHECK(index.body == "#EXTM3U\n#short\n");
  CHECK_FALSE(index.has("content-encoding"));
  CHECK(index["vary"] == "Accept-Encoding");

  // Media is never encoded: it would not shrink, and its one representation stays.
  auto segment = client.request("GET", live("v_1.m4s"), kBrowser);
  CHECK(segment.body == std::string(5000, 'x'));
  CHECK_FALSE(segment.has("content-encoding"));
  CHECK_FALSE(segment.has("vary"));
}

TEST_CASE("the gzip cache keeps one encoding per name, within its caps", "[origin][gzip]") {
  const auto text = [](const std::string& s) {
    return core::SharedBytes(std::vector<uint8_t>(s.begin(), s.end()));
  };
  const core::SharedBytes a = text(std::string(2000, 'a'));
  const core::SharedBytes a_next = text(std::string(2100, 'a'));
  const core::SharedBytes b = text(std::string(2000, 'b'));
  const core::SharedBytes c = text(std::string(2000, 'c'));
  GzipCache cache(2, 1 << 20);
  const core::SharedBytes a1 = cache.encoded("s/video.m3u8", a);
  REQUIRE_FALSE(a1.empty());
  CHECK(gunzip(std::string(a1.text())) == std::string(2000, 'a'));
  // The same bytes again: the same encoding, not a new one.
  CHECK(cache.encoded("s/video.m3u8", a).data() == a1.data());
  // A new version replaces the old one under its name.
  CHECK(gunzip(std::string(cache.encoded("s/video.m3u8", a_next).text())) ==
        std::string(2100, 'a'));
  const size_t one = cache.bytes_held();
  CHECK(one == a_next.size() + cache.encoded("s/video.m3u8", a_next).size());
  // A slice at the same address is another text.
  CHECK(gunzip(std::string(cache.encoded("s/video.m3u8", a_next.slice(0, 1000)).text())) ==
        std::string(1000, 'a'));
  cache.encoded("s/audio.m3u8", b);
  cache.encoded("s/manifest.mpd", c);  // a third name past a cap of two: the oldest goes
  const core::SharedBytes b1 = cache.encoded("s/audio.m3u8", b);
  CHECK(cache.encoded("s/audio.m3u8", b).data() == b1.data());
  CHECK(cache.bytes_held() ==
        b.size() + b1.size() + c.size() + cache.encoded("s/manifest.mpd", c).size());

  // Past the byte cap, the least recently replaced go.
  GzipCache small(100, 3000);
  small.encoded("x", a);
  small.encoded("y", b);
  CHECK(small.bytes_held() <= 3000);
  CHECK(small.bytes_held() > 0);
}
