// POST /v1/streams/{id}/tags, GET /v1/streams/{id}/tags, DELETE /v1/streams/{id}/tags/{tagId}.
#include <boost/asio/post.hpp>
#include <boost/beast/http/field.hpp>
#include <charconv>

#include "context.hpp"
#include "cursor.hpp"
#include "looplive/http/util.hpp"
#include "request_body.hpp"
#include "router.hpp"
#include "tag_json.hpp"
#include "tag_placing.hpp"

namespace looplive::control_api {
namespace {

constexpr size_t kDefaultPageSize = 100;
constexpr size_t kMaxPageSize = 1000;

void require_tags(const Context& context) {
  if (context.deps.tag_store == nullptr || context.deps.tag_carrier == nullptr)
    throw ApiError(bhttp::status::service_unavailable, "unavailable",
                   "Product tags are not available on this server.");
}

void post_tag(Context& context, const http::Request& request, const Params& params,
              http::Respond respond) {
  require_stream_id(params.id);
  require_tags(context);
  TagRequest parsed = parse_tag(json_body(request));
  if (auto limited = take_tag_rate(context, params.id)) return respond(std::move(*limited));
  boost::asio::post(context.deps.blocking, [&context, id = params.id, parsed = std::move(parsed),
                                            respond = std::move(respond)]() mutable {
    place_tag(context, id, std::move(parsed), std::move(respond));
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
    if (!after)
      throw ApiError(bhttp::status::unprocessable_entity, "invalid",
                     "\"cursor\" is not a cursor this API returned.");
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
  boost::asio::post(context.deps.blocking,
                    [&context, id = params.id, tag_id, respond = std::move(respond)]() mutable {
                      remove_tag(context, id, tag_id, std::move(respond));
                    });
}

}  // namespace

void add_tag_routes(Router& router) {
  router.add(bhttp::verb::post, "/v1/streams/{id}/tags", Access::token, post_tag);
  router.add(bhttp::verb::get, "/v1/streams/{id}/tags", Access::token, list_tags);
  router.add(bhttp::verb::delete_, "/v1/streams/{id}/tags/{tagId}", Access::token, delete_tag);
}

}  // namespace looplive::control_api
