// What the origin reads from the packager's views: a live playlist's ETag
// names one text for good, across restarts too. A view's version starts
// again with each packaging run, so a cache holding an earlier run's
// playlist must not be told 304 for the next run's, which has other bytes.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "../packager/packaging_run.hpp"
#include "live_sources.hpp"
#include "looplive/packager/packager.hpp"

namespace lt = looplive::packager::testing;
using looplive::app::PackagerLiveSource;
using looplive::core::EndReason;
using looplive::core::PublishGrant;
using looplive::packager::Packager;

namespace {
constexpr int64_t kShowStart = 1'780'000'000'000;  // 2026-05-28, when epochs count seconds
}  // namespace

TEST_CASE("a live playlist's ETag is never reused by the stream's next packaging run", "[app]") {
  const lt::Demuxed media = lt::demux_flv(lt::fixture("av"));
  std::vector<std::string> etags;
  std::vector<std::string> texts;
  // The same show packaged twice, as before and after a restart a minute later.
  for (const int64_t later_ms : {int64_t{0}, int64_t{60'000}}) {
    lt::Run run;
    run.config.write_live_to_disk = false;
    run.options.clock = [later_ms] { return kShowStart + later_ms; };
    Packager packager(run.config, run.options);
    auto sink = packager.open(PublishGrant{"e", false});
    lt::feed(*sink, media);
    const PackagerLiveSource source(packager);
    const auto playlist = source.find("e", "video.m3u8");
    REQUIRE(playlist);
    etags.push_back(playlist->etag);
    texts.emplace_back(playlist->bytes.text());
    sink->finish(EndReason::publisher_closed);
    packager.end_stream("e");
  }
  INFO(etags[0] << " " << etags[1]);
  REQUIRE(texts[0] != texts[1]);  // the program date times moved on
  CHECK(etags[0] != etags[1]);
}
