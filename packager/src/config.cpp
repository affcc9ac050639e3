#include "looplive/packager/config.hpp"

namespace looplive::packager {

void read_config(core::ConfigSection s, PackagerConfig& c) {
  s.read_path("media_root", c.media_root);
  if (c.media_root.empty()) s.fail(s.key_path("media_root"), "must not be empty");
  s.read_ms("segment_duration_ms", c.segment_duration, 1'000, 10'000);
  // Its name before chunks became LL-HLS parts, still read so older configurations start.
  s.read_ms("fragment_duration_ms", c.part_duration, 100, 10'000);
  s.read_ms("part_duration_ms", c.part_duration, 100, 10'000);
  if (c.part_duration > c.segment_duration)
    s.fail(s.key_path("part_duration_ms"), "must not exceed segment_duration_ms");
  s.read_int("live_window", c.live_window, 3, 100);
  s.read_bool("write_live_to_disk", c.write_live_to_disk);
  s.read_bool("thumbnails", c.thumbnails);
  s.finish();
}

}  // namespace looplive::packager
