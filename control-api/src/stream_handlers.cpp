// POST /v1/streams, GET /v1/streams, GET /v1/streams/{id}, GET /v1/streams/{id}/health.
#include <boost/beast/http/field.hpp>

#include "context.hpp"
#include "cursor.hpp"
#include "health_report.hpp"
#include "looplive/control_api/stream_json.hpp"
#include "looplive/http/util.hpp"
#include "request_body.hpp"
#include "router.hpp"
#include "tag_json.hpp"

namespace looplive::control_api {

namespace {

constexpr size_t kDefaultPageSize = 20;
constexpr size_t kMaxPageSize = 100;
constexpr size_t kMaxMetadataBytes = 16 * 1024;
constexpr size_t kMaxChapters = 1000;  // the rest are in GET .../tags

// "ladder": "auto", "off", "compatible" or a list of rungs ("480p@1200k");
// absent or null: the server's default.
std::optional<core::LadderChoice> ladder_choice(const nlohmann::json& body) {
  const auto it = body.find("ladder");
  if (it == body.end() || it->is_null()) return std::nullopt;
  const auto fail = [](const std::string& why) {
    throw ApiError(bhttp::status::unprocessable_entity, "invalid",
                   "\"ladder\" must be \"auto\", \"off\", \"compatible\" or a list of 1 to 4 "
                   "rungs such as [\"720p@2800k\", \"360p@600k\"]" +
                       why);
  };
  if (it->is_string()) {
    auto mode = core::parse_ladder_mode(it->get<std::string>());
    if (!mode) fail(".");
    return mode;
  }
  core::LadderChoice choice;
  if (!it->is_array() || it->empty() || it->size() > 4) fail(".");
  choice.enabled = true;
  for (const auto& item : *it) {
    if (!item.is_string()) fail(".");
    auto rung = core::parse_rung(item.get<std::string>());
    if (!rung) fail(": " + rung.error().message + ".");
    choice.rungs.push_back(*rung);
  }
  return choice;
}

void create_stream(Context& context, const http::Request& request, const Params&,
                   http::Respond respond) {
  const auto body = json_body(request);
  reject_unknown_fields(body, {"id", "record", "metadata", "ladder"});
  auto id = optional_string(body, "id");
  if (id && !is_uuid(*id))
    throw ApiError(bhttp::status::unprocessable_entity, "invalid", "\"id\" must be a UUID.");
  if (id) id = canonical_stream_id(*id);
  const auto record = optional_bool(body, "record");
  if (!record)
    throw ApiError(bhttp::status::unprocessable_entity, "invalid",
                   "\"record\" is required: true to keep a replay, false not to.");
  std::string metadata = "{}";
  if (auto it = body.find("metadata"); it != body.end() && !it->is_null()) {
    if (!it->is_object())
      throw ApiError(bhttp::status::unprocessable_entity, "invalid",
                     "\"metadata\" must be a JSON object.");
    metadata = it->dump();
    // Listed with every stream, a hundred to a page.
    if (metadata.size() > kMaxMetadataBytes)
      throw ApiError(bhttp::status::unprocessable_entity, "invalid",
                     "\"metadata\" must be at most " + std::to_string(kMaxMetadataBytes) +
                         " bytes as compact JSON.");
  }
  const auto ladder = ladder_choice(body);
  context.blocking(std::move(respond), [&context, id, record = *record, metadata, ladder] {
    const db::CreatedStream created = context.deps.streams.create(id, record, metadata, ladder);
    context.log->info("{} created (record={})", core::log_context(created.stream.id), record);
    auto response = json_response(bhttp::status::created, created_json(created, context.urls));
    response.headers.set(bhttp::field::location, "/v1/streams/" + created.stream.id);
    return response;
  });
}

void get_stream(Context& context, const http::Request&, const Params& params,
                http::Respond respond) {
  require_stream_id(params.id);
  context.blocking(std::move(respond), [&context, id = params.id] {
    const auto stream = context.deps.streams.get(id);
    auto json =
        stream_json(stream, context.urls, context.deps.figures.get(id), context.viewers(id));
    if (db::TagRepository* tags = context.deps.tag_store)
      json["tags"] = tags_summary_json(id, tags->count(id), tags->chapters(id, kMaxChapters));
    return json_response(bhttp::status::ok, json);
  });
}

db::ListQuery list_query(const http::Request& request) {
  db::ListQuery query;
  query.limit = page_limit(request, kDefaultPageSize, kMaxPageSize);
  const auto fail = [](const std::string& message) {
    throw ApiError(bhttp::status::unprocessable_entity, "invalid", message);
  };
  if (auto status = http::query_param(request.query(), "status")) {
    query.status = db::parse_status(*status);
    if (!query.status) fail("\"status\" must be one of ready, live, reconnecting, ended.");
  }
  if (auto text = http::query_param(request.query(), "cursor"); text && !text->empty()) {
    auto cursor = decode_cursor(*text);
    if (!cursor) fail("\"cursor\" is not a cursor this API returned.");
    query.after_created_at = cursor->created_at;
    query.after_id = cursor->id;
  }
  return query;
}

void list_streams(Context& context, const http::Request& request, const Params&,
                  http::Respond respond) {
  auto query = list_query(request);
  context.blocking(std::move(respond), [&context, query]() mutable {
    const size_t page = query.limit;
    ++query.limit;  // one more tells whether another page follows
    auto streams = context.deps.streams.list(query);
    nlohmann::json next = nullptr;
    if (streams.size() > page) {
      streams.resize(page);
      next = encode_cursor(Cursor{streams.back().created_at, streams.back().id});
    }
    nlohmann::json items = nlohmann::json::array();
    for (const auto& stream : streams)
      items.push_back(stream_json(stream, context.urls, context.deps.figures.get(stream.id),
                                  context.viewers(stream.id)));
    return json_response(bhttp::status::ok, {{"streams", items}, {"nextCursor", next}});
  });
}

void stream_health(Context& context, const http::Request&, const Params& params,
                   http::Respond respond) {
  require_stream_id(params.id);
  context.blocking(std::move(respond), [&context, id = params.id] {
    const auto stream = context.deps.streams.get(id);
    const auto& ladder = context.deps.ladder_trouble;
    return json_response(bhttp::status::ok, health_report(stream, context.deps.figures.get(id),
                                                          context.settings.segment_duration,
                                                          ladder ? ladder(id) : std::nullopt));
  });
}

}  // namespace

void add_stream_routes(Router& router) {
  router.add(bhttp::verb::post, "/v1/streams", Access::token, create_stream);
  router.add(bhttp::verb::get, "/v1/streams", Access::token, list_streams);
  router.add(bhttp::verb::get, "/v1/streams/{id}", Access::token, get_stream);
  router.add(bhttp::verb::get, "/v1/streams/{id}/health", Access::token, stream_health);
}

}  // namespace looplive::control_api
