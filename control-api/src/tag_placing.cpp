#include "tag_placing.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "looplive/control_api/tag_cue.hpp"
#include "looplive/core/utc_text.hpp"
#include "looplive/media/text_format.hpp"
#include "request_body.hpp"
#include "tag_json.hpp"

namespace looplive::control_api {
namespace {

constexpr size_t kMaxPayloadBytes = 16 * 1024;
constexpr size_t kMaxProductIdLength = 128;
constexpr int64_t kMaxDurationMs = 24 * 3600 * 1000;
// The holder looks for asked tags when told (a notification) and every
// kAskedPoll in case a notification was lost; the asker looks for its answer
// when told and every kAnswerPoll, for at most kAnswerWait.
constexpr auto kAskedPoll = std::chrono::seconds(1);
constexpr auto kAnswerPoll = std::chrono::milliseconds(100);
constexpr auto kLateAnswerPoll = std::chrono::milliseconds(250);  // after the first second
constexpr auto kAnswerWait = std::chrono::seconds(5);
// Requests of this process waiting for another's answer: each polls the
// database, so a holder that stops answering must not let them pile up.
constexpr int kMaxWaiting = 64;

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

}  // namespace

[[noreturn]] void not_on_air(const core::Error& error) {
  if (error.code == core::ErrorCode::invalid) invalid("The tag's time: " + error.message + ".");
  throw ApiError(bhttp::status::conflict, "not_on_air",
                 "The stream is not on air (" + error.message +
                     "); tags go on a stream from its first frame until it ends.");
}

// Asks the process holding the stream to act on `body`; nothing when no
// other process holds it. 503 when kMaxWaiting requests wait already; an
// asked request counts until await_answer() answers it.
std::optional<uint64_t> ask_holder(Context& context, const std::string& stream_id,
                                   const nlohmann::json& body) {
  if (context.tags_waiting.fetch_add(1) >= kMaxWaiting) {
    context.tags_waiting.fetch_sub(1);
    throw ApiError(bhttp::status::service_unavailable, "unavailable",
                   "Another looplive process packages this stream and " +
                       std::to_string(kMaxWaiting) +
                       " requests for tags already wait for answers here; try again in a moment.");
  }
  std::optional<uint64_t> asked;
  try {
    asked = context.deps.tag_store->ask_holder(stream_id, context.settings.owner, body.dump());
  } catch (...) {
    context.tags_waiting.fetch_sub(1);
    throw;
  }
  if (!asked) context.tags_waiting.fetch_sub(1);
  return asked;
}

namespace {

http::Response created(const db::TagRecord& record) {
  auto response = json_response(bhttp::status::created, tag_json(record));
  response.headers.set(bhttp::field::location, "/v1/streams/" + record.tag.stream_id + "/tags/" +
                                                   std::to_string(record.id));
  return response;
}

// Asks the holder at once: the request's id in `asked`.
AskHolder ask_now(Context& context, const TagRequest& parsed, std::optional<uint64_t>& asked) {
  return [&context, &parsed, &asked](const nlohmann::json& body, const core::Error&) {
    asked = ask_holder(context, parsed.tag.stream_id, body);
    return asked.has_value();
  };
}

// Places the tag on a stream packaged here. Nothing when another process
// holds the stream and has been asked to place it: the request's id then.
http::Response place_here(Context& context, TagRequest& parsed, bool may_ask,
                          std::optional<uint64_t>& asked) {
  if (!stamp_or_ask(context, parsed, may_ask ? ask_now(context, parsed, asked) : AskHolder()))
    return {};
  const db::TagRecord record = context.deps.tag_store->insert(parsed.tag);
  carry_tag(context, record);
  return created(record);
}

// Takes the tag back from a stream packaged here. Nothing when another
// process holds the stream and has been asked to: the request's id then.
http::Response remove_here(Context& context, const std::string& stream_id, uint64_t tag_id,
                           bool may_ask, std::optional<uint64_t>& asked) {
  require_not_ended(context.deps.streams.get(stream_id));
  if (!context.deps.tag_store->find(stream_id, tag_id))
    throw ApiError(bhttp::status::not_found, "not_found", "The stream has no such tag.");
  const auto removed = context.deps.tag_carrier->remove_tag(stream_id, tag_id);
  if (!removed && removed.error().code == core::ErrorCode::not_found && may_ask &&
      !context.settings.owner.empty()) {
    asked = ask_holder(context, stream_id, {{"removeTag", std::to_string(tag_id)}});
    if (asked) return {};
  }
  if (!removed)
    throw ApiError(bhttp::status::conflict, "tag_on_air",
                   "The tag is already on air (in a playlist, a manifest or a fragment) and "
                   "cannot be taken back; post a hide instead.");
  context.deps.tag_store->remove(stream_id, tag_id);
  return http::Response(bhttp::status::no_content);
}

// What the holder answers a request asked of it.
http::Response act_on(Context& context, const db::TagAsk& ask) {
  std::optional<uint64_t> never;  // asked of this process: it does not ask another
  const auto body = nlohmann::json::parse(ask.body_json);
  if (const auto removal = body.find("removeTag"); removal != body.end())
    return remove_here(context, ask.stream_id, std::stoull(removal->get<std::string>()), false,
                       never);
  if (const auto tags = body.find("tags"); tags != body.end())
    return place_asked_tags(context, ask.stream_id, *tags);
  if (auto limited = take_tag_rate(context, ask.stream_id)) return std::move(*limited);
  TagRequest request = parse_tag(body);
  request.tag.stream_id = ask.stream_id;
  return place_here(context, request, false, never);
}

http::Response answered(const std::string& stream_id, const db::TagAnswer& answer) {
  http::Response response(static_cast<bhttp::status>(answer.status), answer.body_json,
                          "application/json");
  if (response.status == bhttp::status::too_many_requests)
    response.headers.set(bhttp::field::retry_after, "1");
  if (answer.status == 201) {
    const auto body = nlohmann::json::parse(answer.body_json, nullptr, false);
    if (body.is_object() && body.contains("id") && body["id"].is_string())
      response.headers.set(bhttp::field::location,
                           "/v1/streams/" + stream_id + "/tags/" + body["id"].get<std::string>());
  }
  return response;
}

// Looks for the holder's answer every kAnswerPoll (kLateAnswerPoll after
// the first second). A request the holder has not taken within kAnswerWait
// is withdrawn (503, nothing changed); one it took is waited for as long
// again, as its answer is on the way.
void await_answer(Context& context, const std::string& stream_id, uint64_t request_id,
                  std::chrono::steady_clock::time_point withdraw_by, http::Respond respond) {
  const bool first_second =
      std::chrono::steady_clock::now() < withdraw_by - kAnswerWait + std::chrono::seconds(1);
  auto timer = std::make_shared<boost::asio::steady_timer>(
      *context.io, first_second ? kAnswerPoll : kLateAnswerPoll);
  context.tag_answer_waits.waiting(request_id, timer);
  // Fired early (cancelled) when the answer's notification comes.
  timer->async_wait([&context, timer, stream_id, request_id, withdraw_by,
                     respond = std::move(respond)](boost::system::error_code) mutable {
    boost::asio::post(context.deps.blocking, [&context, stream_id, request_id, withdraw_by,
                                              respond = std::move(respond)]() mutable {
      const auto now = std::chrono::steady_clock::now();
      db::TagRepository& store = *context.deps.tag_store;
      std::optional<http::Response> response;
      response = guarded([&]() -> http::Response {
        auto answer = store.take_answer(request_id);
        if (answer) return answered(stream_id, *answer);
        if (now >= withdraw_by && store.withdraw(request_id))
          throw ApiError(bhttp::status::service_unavailable, "holder_not_answering",
                         "Another looplive process packages this stream and did not take "
                         "the request within 5 s; nothing was changed. Try again.");
        if (now >= withdraw_by + kAnswerWait)
          throw ApiError(bhttp::status::service_unavailable, "holder_not_answering",
                         "Another looplive process packages this stream and took the request "
                         "but has not answered within 10 s; read the tag timeline to see "
                         "whether it acted.");
        return http::Response(bhttp::status::continue_);
      });
      if (response->status == bhttp::status::continue_)
        return await_answer(context, stream_id, request_id, withdraw_by, std::move(respond));
      context.tag_answer_waits.done(request_id);
      context.tags_waiting.fetch_sub(1);
      respond(std::move(*response));
    });
  });
}

}  // namespace

std::optional<http::Response> take_tag_rate(Context& context, const std::string& stream_id) {
  if (context.tag_rate.take(stream_id, std::chrono::steady_clock::now())) return std::nullopt;
  auto response = error_response(bhttp::status::too_many_requests, "rate_limited",
                                 "The stream takes at most " +
                                     std::to_string(context.settings.api.tags_per_second) +
                                     " tags a second; try again in a moment.");
  response.headers.set(bhttp::field::retry_after, "1");
  return response;
}

void require_not_ended(const db::StreamRecord& stream) {
  if (stream.status == db::StreamStatus::ended)
    throw ApiError(bhttp::status::conflict, "stream_ended",
                   "The stream has ended; its tags can be read, not changed.");
}

bool stamp_or_ask(Context& context, TagRequest& parsed, const AskHolder& ask) {
  db::NewTag& tag = parsed.tag;
  // A stream the packager holds has not ended: the database is asked only
  // why one it does not hold cannot take tags (another process has it, no
  // such stream, ended).
  const auto stamp = context.deps.tag_carrier->stamp_tag(tag.stream_id, parsed.media_time_ms,
                                                         parsed.wall_clock_ms);
  if (!stamp) {
    require_not_ended(context.deps.streams.get(tag.stream_id));
    if (stamp.error().code == core::ErrorCode::not_found && ask &&
        !context.settings.owner.empty()) {
      // The holder stamps it with this moment, not the one it reads the request at.
      nlohmann::json body = parsed.body;
      if (!parsed.media_time_ms && !parsed.wall_clock_ms)
        body["programDateTime"] =
            media::utc_timestamp_us(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
      if (ask(body, stamp.error())) return false;
    }
    not_on_air(stamp.error());
  }
  tag.media_time_ms = stamp->media_time_ms;
  tag.wall_clock_ms = stamp->wall_clock_ms;
  return true;
}

void carry_tag(Context& context, const db::TagRecord& record) {
  const db::NewTag& tag = record.tag;
  if (const auto added = context.deps.tag_carrier->add_tag(tag.stream_id, placed_tag(record));
      !added) {
    context.deps.tag_store->remove(tag.stream_id, record.id);
    if (added.error().code == core::ErrorCode::conflict)
      throw ApiError(bhttp::status::conflict, "too_many_tags",
                     "The stream cannot take more tags: " + added.error().message + ".");
    not_on_air(added.error());
  }
  context.log->debug("{} tag {} ({} {}) at {} ms", core::log_context(tag.stream_id), record.id,
                     tag.action, tag.product_id, tag.media_time_ms);
}

void await_holder(Context& context, const std::string& stream_id, uint64_t request_id,
                  http::Respond respond) {
  await_answer(context, stream_id, request_id, std::chrono::steady_clock::now() + kAnswerWait,
               std::move(respond));
}

TagRequest parse_tag(const nlohmann::json& body) {
  reject_unknown_fields(body, {"productId", "action", "payload", "x", "y", "durationMs",
                               "mediaTime", "programDateTime"});
  TagRequest parsed;
  parsed.body = body;
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

void place_tag(Context& context, const std::string& stream_id, TagRequest request,
               http::Respond respond) {
  request.tag.stream_id = stream_id;
  std::optional<uint64_t> asked;
  http::Response response =
      guarded([&]() -> http::Response { return place_here(context, request, true, asked); });
  if (!asked) return respond(std::move(response));
  await_holder(context, stream_id, *asked, std::move(respond));
}

void remove_tag(Context& context, const std::string& stream_id, uint64_t tag_id,
                http::Respond respond) {
  std::optional<uint64_t> asked;
  http::Response response = guarded(
      [&]() -> http::Response { return remove_here(context, stream_id, tag_id, true, asked); });
  if (!asked) return respond(std::move(response));
  await_holder(context, stream_id, *asked, std::move(respond));
}

AskedTags::AskedTags(boost::asio::io_context& io, Context& context)
    : context_(context), work_(io, context.deps.blocking, kAskedPoll, [this] { answer_asked(); }) {}

void AskedTags::start() {
  if (context_.settings.owner.empty() || context_.deps.tag_store == nullptr ||
      context_.deps.tag_carrier == nullptr)
    return;
  const std::string asked_here = "asked " + context_.settings.owner;
  listener_ = context_.deps.database.listen(
      db::kTagChannel, [this, asked_here](const std::string& payload) {
        if (payload == asked_here) return work_.wake();
        uint64_t request_id = 0;
        if (std::sscanf(payload.c_str(), "answered %" SCNu64, &request_id) == 1)
          context_.tag_answer_waits.answered(request_id);
      });
  work_.start();
}

void AskedTags::stop() {
  listener_.reset();
  work_.stop();
}

void AskedTags::answer_asked() {
  try {
    for (const db::TagAsk& ask : context_.deps.tag_store->take_asked(context_.settings.owner)) {
      const http::Response response =
          guarded([&]() -> http::Response { return act_on(context_, ask); });
      const auto* body = std::get_if<std::string>(&response.body);
      const int status = static_cast<int>(response.status);
      context_.deps.tag_store->answer(ask.id, db::TagAnswer{status, body ? *body : "{}"});
      context_.log->debug("{} answered a tag request from another server: {}",
                          core::log_context(ask.stream_id), status);
    }
  } catch (const std::exception& error) {
    context_.log->debug("tags asked on other servers not read: {}", error.what());
  }
}

}  // namespace looplive::control_api
