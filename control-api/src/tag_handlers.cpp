// POST /v1/streams/{id}/tags, GET /v1/streams/{id}/tags, DELETE /v1/streams/{id}/tags/{tagId}.
#include <boost/beast/http/field.hpp>
#include <charconv>
#include <cmath>

#include "context.hpp"
#include "cursor.hpp"
#include "looplive/control_api/tag_cue.hpp"
#include "looplive/core/utc_text.hpp"
#include "looplive/http/util.hpp"
#include "request_body.hpp"
#include "router.hpp"
#include "tag_json.hpp"

namespace looplive::control_api {
namespace {

constexpr size_t kMaxPayloadBytes = 16 * 1024;
constexpr size_t kMaxProductIdLength = 128;
constexpr int64_t kMaxDurationMs = 24 * 3600 * 1000;
constexpr size_t kDefaultPageSize = 100;
constexpr size_t kMaxPageSize = 1000;

struct TagRequest {
  db::NewTag tag;  // stamped later
  core::TagAction action = core::TagAction::show;
  std::optional<int64_t> media_time_ms;
  std::optional<int64_t> wall_clock_ms;
};

[[noreturn]] void invalid(const std::string& message) {
  throw ApiError(bhttp::status::unprocessable_entity, "invalid", message);
}

// Product ids travel in playlists as quoted strings: printable ASCII without '"'.
bool valid_product_id(const std::string& id) {
  return !id.empty() && id.size() <= kMaxProductIdLength &&
         std::all_of(id.begin(), id.end(),
                     [](char c) { return c >= 0x20 && c < 0x7f && c != '"'; });
}

std::optional<double> unit_coordinate(const nlohmann::json& body, const std::string& field) {
  const auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_number() || it->get<double>() < 0 || it->get<double>() > 1)
    invalid("\"" + field + "\" must be a number from 0 to 1 (a fraction of the picture).");
  return it->get<double>();
}

TagRequest parse_tag(const http::Request& request) {
  const auto body = json_body(request);
  reject_unknown_fields(body, {"productId", "action", "payload", "x", "y", "durationMs",
                               "mediaTime", "programDateTime"});
  TagRequest parsed;
  db::NewTag& tag = parsed.tag;
  const auto product = optional_string(body, "productId");
  if (!product || !valid_product_id(*product))
    invalid("\"productId\" is required: 1 to " + std::to_string(kMaxProductIdLength) +
            " printable ASCII characters, no double quote.");
  tag.product_id = *product;
  const auto action_name = optional_string(body, "action");
  const auto action = action_name ? core::parse_tag_action(*action_name) : std::nullopt;
  if (!action) invalid("\"action\" is required: show, hide or update.");
  parsed.action = *action;
  tag.action = std::string(core::tag_action_name(*action));
  tag.payload_json = "{}";
  if (const auto it = body.find("payload"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) invalid("\"payload\" must be a JSON object.");
    tag.payload_json = it->dump();
    if (tag.payload_json.size() > kMaxPayloadBytes)
      throw ApiError(bhttp::status::payload_too_large, "payload_too_large",
                     "\"payload\" must be at most " + std::to_string(kMaxPayloadBytes) +
                         " bytes as compact JSON; it is " +
                         std::to_string(tag.payload_json.size()) + ".");
  }
  tag.x = unit_coordinate(body, "x");
  tag.y = unit_coordinate(body, "y");
  if (const auto it = body.find("durationMs"); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > kMaxDurationMs)
      invalid("\"durationMs\" must be a whole number of milliseconds from 1 to " +
              std::to_string(kMaxDurationMs) + ".");
    if (*action == core::TagAction::hide) invalid("A hide has no \"durationMs\".");
    tag.duration_ms = it->get<int64_t>();
  }
  const auto media_time = body.find("mediaTime");
  const bool has_media_time = media_time != body.end() && !media_time->is_null();
  if (has_media_time) {
    if (!media_time->is_number() || media_time->get<double>() < 0 ||
        media_time->get<double>() > 1e9)
      invalid("\"mediaTime\" must be a number of seconds on the stream's timeline, from 0.");
    parsed.media_time_ms = std::llround(media_time->get<double>() * 1000);
  }
  if (const auto pdt = optional_string(body, "programDateTime")) {
    if (has_media_time) invalid("Give \"mediaTime\" or \"programDateTime\", not both.");
    parsed.wall_clock_ms = core::parse_utc_ms(*pdt);
    if (!parsed.wall_clock_ms)
      invalid("\"programDateTime\" must be an RFC 3339 date-time, e.g. 2026-12-05T10:00:00.250Z.");
  }
  return parsed;
}

void require_tags(const Context& context) {
  if (context.deps.tag_store == nullptr || context.deps.tag_carrier == nullptr)
    throw ApiError(bhttp::status::service_unavailable, "unavailable",
                   "Product tags are not available on this server.");
}

void require_not_ended(const db::StreamRecord& stream) {
  if (stream.status == db::StreamStatus::ended)
    throw ApiError(bhttp::status::conflict, "stream_ended",
                   "The stream has ended; its tags can be read, not changed.");
}

[[noreturn]] void not_on_air(const core::Error& error) {
  if (error.code == core::ErrorCode::invalid) invalid("The tag's time: " + error.message + ".");
  throw ApiError(bhttp::status::conflict, "not_on_air",
                 "The stream is not on air on this server (" + error.message +
                     "); tags go on a stream from its first frame until it ends.");
}

void post_tag(Context& context, const http::Request& request, const Params& params,
              http::Respond respond) {
  require_stream_id(params.id);
  require_tags(context);
  TagRequest parsed = parse_tag(request);
  if (!context.tag_rate.take(params.id, std::chrono::steady_clock::now())) {
    auto response = error_response(bhttp::status::too_many_requests, "rate_limited",
                                   "The stream takes at most " +
                                       std::to_string(context.settings.api.tags_per_second) +
                                       " tags a second; try again in a moment.");
    response.headers.set(bhttp::field::retry_after, "1");
    return respond(std::move(response));
  }
  parsed.tag.stream_id = params.id;
  context.blocking(std::move(respond), [&context, parsed = std::move(parsed)]() mutable {
    db::NewTag& tag = parsed.tag;
    core::TagCarrier& carrier = *context.deps.tag_carrier;
    // A stream the packager holds has not ended: the database is asked only
    // why one it does not hold cannot take tags (no such stream, ended).
    const auto stamp = carrier.stamp_tag(tag.stream_id, parsed.media_time_ms, parsed.wall_clock_ms);
    if (!stamp) {
      require_not_ended(context.deps.streams.get(tag.stream_id));
      not_on_air(stamp.error());
    }
    tag.media_time_ms = stamp->media_time_ms;
    tag.wall_clock_ms = stamp->wall_clock_ms;
    const db::TagRecord record = context.deps.tag_store->insert(tag);
    if (const auto added = carrier.add_tag(tag.stream_id, placed_tag(record)); !added) {
      context.deps.tag_store->remove(tag.stream_id, record.id);
      if (added.error().code == core::ErrorCode::conflict)
        throw ApiError(bhttp::status::conflict, "too_many_tags",
                       "The stream cannot take more tags: " + added.error().message + ".");
      not_on_air(added.error());
    }
    context.log->debug("{} tag {} ({} {}) at {} ms", core::log_context(tag.stream_id), record.id,
                       tag.action, tag.product_id, tag.media_time_ms);
    auto response = json_response(bhttp::status::created, tag_json(record));
    response.headers.set(bhttp::field::location,
                         "/v1/streams/" + tag.stream_id + "/tags/" + std::to_string(record.id));
    return response;
  });
}

void list_tags(Context& context, const http::Request& request, const Params& params,
               http::Respond respond) {
  require_stream_id(params.id);
  require_tags(context);
  const size_t limit = page_limit(request, kDefaultPageSize, kMaxPageSize);
  std::optional<db::TagPosition> after;
  if (auto text = http::query_param(request.query(), "cursor"); text && !text->empty()) {
    after = decode_tag_cursor(*text);
    if (!after) invalid("\"cursor\" is not a cursor this API returned.");
  }
  context.blocking(std::move(respond), [&context, id = params.id, after, limit] {
    context.deps.streams.get(id);  // 404 for no such stream
    auto tags = context.deps.tag_store->list(id, after, limit + 1);
    nlohmann::json next = nullptr;
    if (tags.size() > limit) {
      tags.resize(limit);
      next = encode_tag_cursor({tags.back().tag.media_time_ms, tags.back().id});
    }
    nlohmann::json items = nlohmann::json::array();
    for (const auto& tag : tags) items.push_back(tag_json(tag));
    return json_response(bhttp::status::ok, {{"tags", items}, {"nextCursor", next}});
  });
}

void delete_tag(Context& context, const http::Request&, const Params& params,
                http::Respond respond) {
  require_stream_id(params.id);
  require_tags(context);
  uint64_t tag_id = 0;
  const std::string& text = params.tag_id;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), tag_id);
  if (ec != std::errc() || end != text.data() + text.size())
    throw ApiError(bhttp::status::not_found, "not_found", "The stream has no such tag.");
  context.blocking(std::move(respond), [&context, id = params.id, tag_id] {
    require_not_ended(context.deps.streams.get(id));
    if (!context.deps.tag_store->find(id, tag_id))
      throw ApiError(bhttp::status::not_found, "not_found", "The stream has no such tag.");
    if (const auto removed = context.deps.tag_carrier->remove_tag(id, tag_id); !removed)
      throw ApiError(bhttp::status::conflict, "tag_on_air",
                     "The tag is already on air (in a playlist, a manifest or a fragment) and "
                     "cannot be taken back; post a hide instead.");
    context.deps.tag_store->remove(id, tag_id);
    return http::Response(bhttp::status::no_content);
  });
}

}  // namespace

void add_tag_routes(Router& router) {
  router.add(bhttp::verb::post, "/v1/streams/{id}/tags", Access::token, post_tag);
  router.add(bhttp::verb::get, "/v1/streams/{id}/tags", Access::token, list_tags);
  router.add(bhttp::verb::delete_, "/v1/streams/{id}/tags/{tagId}", Access::token, delete_tag);
}

}  // namespace looplive::control_api
