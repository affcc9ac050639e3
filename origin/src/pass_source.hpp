#pragma once

#include <optional>
#include <string>
#include <vector>

#include "looplive/origin/origin_service.hpp"

namespace looplive::origin {

// A LiveSource that asks the real one each question once and keeps the
// answer: one pass over a stream's held requests looks the stream up once per
// file, not once per request, and copies its playlist once, however many
// thousands of viewers wait on it. Kept for one pass only (a change starts a
// new pass with a new one); used by one thread.
class PassSource : public LiveSource {
 public:
  explicit PassSource(const LiveSource& source) : source_(source) {}

  std::optional<LiveFile> find(const std::string& stream_id,
                               const std::string& file) const override;
  std::optional<LiveFile> find_delta(const std::string& stream_id, const std::string& playlist,
                                     bool skip_dateranges) const override;
  std::optional<PlaylistEdge> playlist_edge(const std::string& stream_id,
                                            const std::string& playlist) const override;
  bool announces(const std::string& stream_id, const std::string& file) const override;
  std::optional<GrowingFile> growing(const std::string& stream_id,
                                     const std::string& file) const override;

 private:
  enum class Question { find, find_delta, find_delta_v2, playlist_edge, announces, growing };
  struct Answer {
    Question question;
    std::string stream_id;
    std::string file;
    std::optional<LiveFile> live_file;  // find, find_delta, find_delta_v2
    std::optional<PlaylistEdge> edge;
    bool announced = false;
    std::optional<GrowingFile> growing;
  };
  // The kept answer, or a new one for `ask` to fill. A pass asks about a
  // handful of files, so a list beats a map.
  template <typename Ask>
  const Answer& answer(Question question, const std::string& stream_id, const std::string& file,
                       Ask ask) const;

  const LiveSource& source_;
  mutable std::vector<Answer> answers_;
};

}  // namespace looplive::origin
