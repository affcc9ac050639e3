#pragma once

namespace looplive::av {

// Sends FFmpeg's own messages (av_log) to the "ffmpeg" logger instead of
// stderr, one line per record at the matching level. Installs itself once per
// process; later calls do nothing.
void route_ffmpeg_logs();

}  // namespace looplive::av
