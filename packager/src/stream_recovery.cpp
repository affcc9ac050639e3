#include "stream_recovery.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "atomic_file.hpp"
#include "looplive/core/log.hpp"
#include "looplive/media/stream_files.hpp"
#include "recording_index.hpp"
#include "stream_state.hpp"

namespace looplive::packager {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Temporary files of write_atomically and of the MP4 remux, in the stream's
// live directory and among the VOD files; the process died before renaming them.
void remove_leftovers(const StreamSettings& settings) {
  const fs::path live_dir = media::files::live_dir(settings.media_root, settings.stream_id);
  for (const fs::path& dir : {live_dir, media::files::vods_dir(settings.media_root)}) {
    const bool live = dir == live_dir;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(dir, error)) {
      const std::string name = entry.path().filename().string();
      if (!is_temporary_name(name)) continue;
      if (!live && !media::files::is_vod_file_of(name, settings.stream_id)) continue;
      fs::remove(entry.path(), error);
    }
  }
}

// The live media playlists left on disk (video.m3u8, audio.m3u8, video_1.m3u8...).
void close_live_playlists(const StreamSettings& settings) {
  const fs::path dir = media::files::live_dir(settings.media_root, settings.stream_id);
  std::vector<std::string> playlists;  // listed first: closing one rewrites the directory
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    std::string name = entry.path().filename().string();
    if (name.ends_with(".m3u8") && name != media::files::kMultivariantPlaylist &&
        !media::files::is_recording_index(name))
      playlists.push_back(std::move(name));
  }
  for (const std::string& name : playlists) {
    std::string text = read_text(dir / name);
    if (text.find("#EXT-X-ENDLIST") != std::string::npos) continue;
    text += "#EXT-X-ENDLIST\n";
    if (core::Status status = write_atomically(dir / name, text); !status) {
      core::logger("packager")
          ->error("{} {}", core::log_context(settings.stream_id), status.error().message);
    }
  }
}

// The index's segments that are on disk, with their sizes.
std::vector<SegmentInfo> present(const fs::path& dir, std::vector<SegmentInfo> segments,
                                 const std::string& stream_id) {
  std::vector<SegmentInfo> out;
  for (auto& s : segments) {
    std::error_code error;
    const auto size = fs::file_size(dir / s.uri, error);
    if (error || !fs::exists(dir / s.init_uri, error)) {
      core::logger("packager")
          ->error("{} recorded {} is missing; left out", core::log_context(stream_id), s.uri);
      continue;
    }
    s.bytes = size;
    out.push_back(std::move(s));
  }
  return out;
}

// Each recorded track whose index names at least one segment on disk, in key order.
std::vector<RecordedTrack> read_recording(const StreamSettings& settings) {
  const fs::path dir = media::files::live_dir(settings.media_root, settings.stream_id);
  std::vector<RecordedTrack> tracks;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    const fs::path& index = entry.path();
    if (!media::files::is_recording_index(index.filename().string())) continue;
    auto recorded = parse_recording_index(read_text(index));
    if (!recorded) {
      core::logger("packager")
          ->error("{} {}: {}", core::log_context(settings.stream_id), index.string(),
                  recorded.error().message);
      continue;
    }
    recorded->segments = present(dir, std::move(recorded->segments), settings.stream_id);
    if (recorded->segments.empty()) continue;
    if (index.filename() != media::files::recording_index(recorded->track.key())) {
      core::logger("packager")
          ->error("{} {} describes another track; left out", core::log_context(settings.stream_id),
                  index.string());
      continue;
    }
    tracks.push_back(std::move(recorded.value()));
  }
  std::sort(tracks.begin(), tracks.end(), [](const RecordedTrack& a, const RecordedTrack& b) {
    return a.track.key() < b.track.key();
  });
  return tracks;
}

// How many init segments a track has named: init_v.mp4 is the first,
// init_v_<n>.mp4 the (n+1)th.
uint64_t configurations_used(const std::vector<SegmentInfo>& segments) {
  uint64_t used = 0;
  for (const auto& s : segments) {
    const uint64_t n = media::files::init_segment_configuration(s.init_uri);
    used = std::max(used, n + 1);
  }
  return used;
}

}  // namespace

EndResult recover_from_disk(const StreamSettings& settings, std::shared_ptr<TagBook> tags) {
  remove_leftovers(settings);
  if (!settings.record) {
    close_live_playlists(settings);
    return {};
  }
  LiveWindow window(settings, std::make_shared<ViewSlot>(), std::move(tags));
  bool any = false;
  for (auto& recorded : read_recording(settings)) {
    window.restore(recorded.track, std::move(recorded.segments));
    any = true;
  }
  if (!any) {
    close_live_playlists(settings);
    return {};
  }
  EndResult result = window.end();
  core::logger("packager")
      ->info("{} recovered {:.3f} s of recording{}", core::log_context(settings.stream_id),
             result.duration_seconds, result.vod_mp4 ? "" : " (no MP4)");
  return result;
}

bool resume_from_disk(StreamState& stream, const StreamSettings& settings) {
  remove_leftovers(settings);
  auto tracks = read_recording(settings);
  if (tracks.empty()) return false;
  for (auto& recorded : tracks) {
    const SegmentInfo& first = recorded.segments.front();
    const SegmentInfo& last = recorded.segments.back();
    if (!stream.window.wall_origin())
      stream.window.set_wall_origin(first.wall_clock_ms - first.start_ms -
                                    first.presentation_offset_ms);
    auto output = std::make_unique<TrackOutput>(media::files::track_prefix(recorded.track.key()));
    output->resume(last.number, configurations_used(recorded.segments), last.discontinuity_index);
    stream.outputs[recorded.track.key()] = std::move(output);
    core::logger("packager")
        ->info("{} resuming the recording after {} from a previous run",
               core::log_context(settings.stream_id), last.uri);
    stream.window.restore(recorded.track, std::move(recorded.segments));
  }
  return true;
}

}  // namespace looplive::packager
