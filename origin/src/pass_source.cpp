#include "pass_source.hpp"

namespace looplive::origin {

template <typename Ask>
const PassSource::Answer& PassSource::answer(Question question, const std::string& stream_id,
                                             const std::string& file, Ask ask) const {
  for (const Answer& kept : answers_)
    if (kept.question == question && kept.file == file && kept.stream_id == stream_id) return kept;
  Answer& fresh = answers_.emplace_back(Answer{question, stream_id, file, {}, {}, false, {}});
  ask(fresh);
  return fresh;
}

std::optional<LiveFile> PassSource::find(const std::string& stream_id,
                                         const std::string& file) const {
  return answer(Question::find, stream_id, file,
                [&](Answer& fresh) { fresh.live_file = source_.find(stream_id, file); })
      .live_file;
}

std::optional<LiveFile> PassSource::find_delta(const std::string& stream_id,
                                               const std::string& playlist,
                                               bool skip_dateranges) const {
  return answer(skip_dateranges ? Question::find_delta_v2 : Question::find_delta, stream_id,
                playlist,
                [&](Answer& fresh) {
                  fresh.live_file = source_.find_delta(stream_id, playlist, skip_dateranges);
                })
      .live_file;
}

std::optional<LiveSource::PlaylistEdge> PassSource::playlist_edge(
    const std::string& stream_id, const std::string& playlist) const {
  return answer(Question::playlist_edge, stream_id, playlist,
                [&](Answer& fresh) { fresh.edge = source_.playlist_edge(stream_id, playlist); })
      .edge;
}

bool PassSource::announces(const std::string& stream_id, const std::string& file) const {
  return answer(Question::announces, stream_id, file,
                [&](Answer& fresh) { fresh.announced = source_.announces(stream_id, file); })
      .announced;
}

std::optional<LiveSource::GrowingFile> PassSource::growing(const std::string& stream_id,
                                                           const std::string& file) const {
  return answer(Question::growing, stream_id, file,
                [&](Answer& fresh) { fresh.growing = source_.growing(stream_id, file); })
      .growing;
}

}  // namespace looplive::origin
