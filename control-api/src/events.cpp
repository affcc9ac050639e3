#include "looplive/control_api/events.hpp"

#include "looplive/control_api/stream_json.hpp"
#include "looplive/media/text_format.hpp"

namespace looplive::control_api::events {

using nlohmann::json;

json live(const db::StreamRecord& stream, const PublicUrls& urls) {
  return json{{"streamId", stream.id},
              {"status", db::status_name(stream.status)},
              {"startedAt", api_time(stream.started_at)},
              {"record", stream.record},
              {"hlsUrl", urls.hls(stream.id)},
              {"dashUrl", urls.dash(stream.id)}};
}

json reconnecting(const db::StreamRecord& stream, std::chrono::milliseconds window,
                  std::string_view reason) {
  return json{{"streamId", stream.id},
              {"status", db::status_name(stream.status)},
              {"reason", reason},
              {"reconnectWindowSeconds", static_cast<double>(window.count()) / 1000.0}};
}

json ended(const db::StreamRecord& stream, const PublicUrls& urls, std::string_view reason) {
  json data = end_json(stream, urls);
  data["reason"] = reason;
  return data;
}

json recording_ready(const db::StreamRecord& stream, const PublicUrls& urls) {
  const json ended = end_json(stream, urls);
  return json{{"streamId", stream.id},
              {"status", db::status_name(stream.status)},
              {"vodUrl", ended["vodUrl"]},
              {"duration", ended["duration"]},
              {"tagsUrl", "/v1/streams/" + stream.id + "/tags"}};
}

json recording_failed(const db::StreamRecord& stream, const PublicUrls& urls) {
  json data = recording_ready(stream, urls);
  data["reason"] = stream.summary ? stream.summary->recording_error.value_or("") : "";
  return data;
}

json publish_rejected(const std::string& stream_id, std::string_view status,
                      std::string_view reason, const std::string& remote_address) {
  return json{{"streamId", stream_id},
              {"status", status},
              {"reason", reason},
              {"remoteAddress", remote_address}};
}

json tag_aired(const std::string& stream_id, const core::ProductTag& tag) {
  return json{{"streamId", stream_id},
              {"tagId", std::to_string(tag.id)},
              {"productId", tag.product_id},
              {"action", core::tag_action_name(tag.action)},
              {"mediaTime", static_cast<double>(tag.media_time_ms) / 1000},
              {"programDateTime", media::utc_timestamp_us(tag.wall_clock_ms * 1000)}};
}

}  // namespace looplive::control_api::events
