#pragma once

#include <string>

#include "looplive/core/viewer_source.hpp"
#include "looplive/origin/origin_service.hpp"
#include "looplive/packager/packager.hpp"

namespace looplive::app {

// The origin reads live streams from the packager's in-memory views; it never
// sees the packager's types, only this adapter.
class PackagerLiveSource : public origin::LiveSource {
 public:
  explicit PackagerLiveSource(const packager::Packager& packager) : packager_(packager) {}

  std::optional<origin::LiveFile> find(const std::string& stream_id,
                                       const std::string& file) const override {
    auto view = packager_.view(stream_id);
    if (!view) return std::nullopt;
    std::time_t modified = newest_segment_end(*view);
    if (const core::SharedBytes* text = view->text(file)) return text_file(*text, *view, "");
    if (const core::SharedBytes* bytes = view->file(file))
      return origin::LiveFile{*bytes, "\"" + file + "-" + std::to_string(bytes->size()) + "\"",
                              modified};
    return std::nullopt;
  }

  std::optional<origin::LiveFile> find_delta(const std::string& stream_id,
                                             const std::string& playlist,
                                             bool skip_dateranges) const override {
    auto view = packager_.view(stream_id);
    if (!view) return std::nullopt;
    if (const core::SharedBytes* text = view->delta_text(playlist, skip_dateranges))
      return text_file(*text, *view, skip_dateranges ? "-skip2" : "-skip");
    return std::nullopt;
  }

  std::optional<PlaylistEdge> playlist_edge(const std::string& stream_id,
                                            const std::string& playlist) const override {
    auto view = packager_.view(stream_id);
    if (!view) return std::nullopt;
    auto edge = view->edge(playlist);
    if (!edge) return std::nullopt;
    return PlaylistEdge{edge->next_msn, edge->next_part};
  }

  bool announces(const std::string& stream_id, const std::string& file) const override {
    auto view = packager_.view(stream_id);
    return view && view->announces(file) && !view->file(file);
  }

  std::optional<GrowingFile> growing(const std::string& stream_id,
                                     const std::string& file) const override {
    auto view = packager_.view(stream_id);
    if (!view) return std::nullopt;
    auto progress = view->progress(file);
    if (!progress) return std::nullopt;
    return GrowingFile{std::move(progress->chunks), progress->complete};
  }

 private:
  // Playlists change with every part: the view is their identity. Its
  // version starts again after a restart, so the epoch goes in too, or a
  // cache revalidating its copy could be told 304 for other bytes.
  static origin::LiveFile text_file(const core::SharedBytes& text, const packager::LiveView& view,
                                    const char* etag_suffix) {
    return origin::LiveFile{text,
                            "\"v" + std::to_string(view.epoch) + "." +
                                std::to_string(view.version) + etag_suffix + "\"",
                            newest_segment_end(view)};
  }

  static std::time_t newest_segment_end(const packager::LiveView& view) {
    int64_t newest = 0;
    for (const auto& track : view.tracks)
      if (!track.segments.empty()) {
        const auto& last = track.segments.back();
        newest = std::max(newest, last.wall_clock_ms + last.duration_ms);
      }
    return static_cast<std::time_t>(newest / 1000);
  }

  const packager::Packager& packager_;
};

// Viewer figures for the control API, from the origin that counts them.
class OriginViewerSource : public core::ViewerSource {
 public:
  explicit OriginViewerSource(const origin::OriginService& origin) : origin_(origin) {}

  core::ViewerFigures viewers(const std::string& stream_id) const override {
    origin::ViewerFigures figures = origin_.viewers(stream_id);
    return core::ViewerFigures{figures.current, figures.peak, figures.unique,
                               figures.average_watch_seconds};
  }

 private:
  const origin::OriginService& origin_;
};

}  // namespace looplive::app
