// POST /v1/streams/{id}/end, POST /v1/streams/{id}/key/rotate, DELETE /v1/streams/{id}.

#include "context.hpp"
#include "looplive/control_api/stream_json.hpp"
#include "request_body.hpp"
#include "router.hpp"
#include "stream_media.hpp"

namespace looplive::control_api {

namespace {

void end_stream(Context& context, const http::Request&, const Params& params,
                http::Respond respond) {
  require_stream_id(params.id);
  context.deps.ender.end(params.id, [&context, respond](EndOutcome outcome) {
    switch (outcome.kind) {
      case EndOutcome::Kind::ended:
        return respond(json_response(bhttp::status::ok, end_json(outcome.stream, context.urls)));
      case EndOutcome::Kind::not_found:
        return respond(
            error_response(bhttp::status::not_found, "not_found", "No stream has this id."));
      case EndOutcome::Kind::unavailable:
        return respond(
            error_response(bhttp::status::service_unavailable, "unavailable",
                           "The database cannot be reached right now; try again in a moment."));
      case EndOutcome::Kind::still_ending:
        return respond(
            error_response(bhttp::status::service_unavailable, "still_ending", outcome.message));
      case EndOutcome::Kind::failed:
        context.log->error("ending stream failed: {}", outcome.message);
        return respond(error_response(bhttp::status::internal_server_error, "internal",
                                      "Ending the stream failed; it has been logged."));
    }
  });
}

void rotate_key(Context& context, const http::Request& request, const Params& params,
                http::Respond respond) {
  require_stream_id(params.id);
  const auto body = json_body(request);
  reject_unknown_fields(body, {"force"});
  const bool force = optional_bool(body, "force").value_or(false);
  context.blocking(std::move(respond), [&context, id = params.id, force] {
    const auto stream = context.deps.streams.get(id);
    if (stream.status == db::StreamStatus::ended)
      throw ApiError(bhttp::status::conflict, "stream_ended",
                     "The stream has ended; create a new one.");
    const bool live = stream.status == db::StreamStatus::live || context.deps.registry.is_live(id);
    if (live && !force)
      throw ApiError(bhttp::status::conflict, "stream_live",
                     "The stream is live. Send {\"force\": true} to rotate anyway; the "
                     "publisher is then disconnected and must reconnect with the new key.");
    const std::string key = context.deps.streams.rotate_key(id);
    // Revoked first, so the kicked encoder's automatic reconnect with the old key is refused.
    const bool kicked = force && context.deps.registry.kick(id);
    if (force && !kicked) context.deps.ender.disconnect_elsewhere(id);
    context.log->info("{} key rotated{}", core::log_context(id),
                      kicked ? " (publisher disconnected)" : "");
    return json_response(bhttp::status::ok, {{"streamId", id},
                                             {"streamKey", key},
                                             {"rtmpUrl", context.urls.rtmp},
                                             {"rotatedAt", iso_now()}});
  });
}

void delete_stream(Context& context, const http::Request&, const Params& params,
                   http::Respond respond) {
  require_stream_id(params.id);
  context.blocking(std::move(respond), [&context, id = params.id] {
    const auto stream = context.deps.streams.get(id);
    if (stream.status != db::StreamStatus::ended || !stream.summary)
      throw ApiError(bhttp::status::conflict, "stream_not_ended",
                     "Only an ended stream can be deleted; end it first with POST "
                     "/v1/streams/" +
                         id + "/end.");
    delete_ended_stream(context, id);
    context.log->info("{} deleted with its media", core::log_context(id));
    return http::Response(bhttp::status::no_content);
  });
}

}  // namespace

void add_action_routes(Router& router) {
  router.add(bhttp::verb::post, "/v1/streams/{id}/end", Access::token, end_stream);
  router.add(bhttp::verb::post, "/v1/streams/{id}/key/rotate", Access::token, rotate_key);
  router.add(bhttp::verb::delete_, "/v1/streams/{id}", Access::token, delete_stream);
}

}  // namespace looplive::control_api
