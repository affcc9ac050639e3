#include "tag_json.hpp"

#include "looplive/control_api/stream_json.hpp"
#include "looplive/control_api/tag_cue.hpp"
#include "looplive/media/text_format.hpp"

namespace looplive::control_api {
namespace {

nlohmann::json seconds(int64_t ms) {
  return static_cast<double>(ms) / 1000;
}

}  // namespace

std::string cue_json(uint64_t id, const db::NewTag& tag) {
  nlohmann::json cue = {{"id", std::to_string(id)},
                        {"productId", tag.product_id},
                        {"action", tag.action},
                        {"payload", nlohmann::json::parse(tag.payload_json)}};
  if (tag.x) cue["x"] = *tag.x;
  if (tag.y) cue["y"] = *tag.y;
  if (tag.duration_ms) cue["durationMs"] = *tag.duration_ms;
  return cue.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

core::ProductTag placed_tag(const db::TagRecord& record) {
  const db::NewTag& tag = record.tag;
  return {record.id,
          tag.product_id,
          core::parse_tag_action(tag.action).value_or(core::TagAction::show),
          tag.duration_ms,
          tag.media_time_ms,
          tag.wall_clock_ms,
          cue_json(record.id, tag)};
}

nlohmann::json tag_json(const db::TagRecord& record) {
  const db::NewTag& tag = record.tag;
  return {{"id", std::to_string(record.id)},
          {"streamId", tag.stream_id},
          {"productId", tag.product_id},
          {"action", tag.action},
          {"payload", nlohmann::json::parse(tag.payload_json)},
          {"x", tag.x ? nlohmann::json(*tag.x) : nlohmann::json(nullptr)},
          {"y", tag.y ? nlohmann::json(*tag.y) : nlohmann::json(nullptr)},
          {"durationMs", tag.duration_ms ? nlohmann::json(*tag.duration_ms) : nullptr},
          {"mediaTime", seconds(tag.media_time_ms)},
          {"programDateTime", media::utc_timestamp_us(tag.wall_clock_ms * 1000)},
          {"createdAt", api_time(record.created_at)}};
}

nlohmann::json tags_summary_json(const std::string& stream_id, uint64_t count,
                                 const std::vector<db::TagChapter>& chapters) {
  nlohmann::json list = nlohmann::json::array();
  for (const db::TagChapter& chapter : chapters)
    list.push_back({{"productId", chapter.product_id},
                    {"start", seconds(chapter.start_ms)},
                    {"end", chapter.end_ms ? seconds(*chapter.end_ms) : nullptr}});
  return {{"count", count}, {"url", "/v1/streams/" + stream_id + "/tags"}, {"chapters", list}};
}

}  // namespace looplive::control_api
