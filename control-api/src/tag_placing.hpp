#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "context.hpp"
#include "looplive/core/error.hpp"
#include "looplive/db/tag_repository.hpp"
#include "periodic_work.hpp"

namespace looplive::control_api {

// A POST /v1/streams/{id}/tags body, checked (422, 413 as ApiError).
struct TagRequest {
  db::NewTag tag;  // stamped when placed
  core::TagAction action = core::TagAction::show;
  std::optional<int64_t> media_time_ms;
  std::optional<int64_t> wall_clock_ms;
  nlohmann::json body;  // as posted, to hand to the stream's holder
};

TagRequest parse_tag(const nlohmann::json& body);
// Takes one of the stream's tags for this second (api.tags_per_second); the
// 429 to answer when none is left. The process packaging the stream takes
// one for every tag, those other processes were asked for included, so the
// rate holds per stream however many servers take its tags.
std::optional<http::Response> take_tag_rate(Context& context, const std::string& stream_id);
// 409 stream_ended for an ended stream: its tags can be read, not changed.
void require_not_ended(const db::StreamRecord& stream);

// Places a tag on a stream and answers as the POST does (201 with the tag,
// or the error). A stream packaged by another process sharing the database
// (several behind one API address) gets the tag through its row, `asker`
// being this process: that process places it and its answer is returned
// (up to a few seconds later; 503 when it gives none). Any thread but the
// I/O ones: it blocks on the database.
void place_tag(Context& context, const std::string& stream_id, TagRequest request,
               http::Respond respond);

// The steps of place_tag, for a batch (POST /v1/tags). Stamps the tag when
// its stream is packaged here (true). When another process sharing the
// database may hold it and `ask` is given, hands `ask` the body for the
// holder (with this moment as its time unless it has one) and why it is not
// here: false when `ask` took it. Throws ApiError and what guarded() maps
// otherwise.
using AskHolder = std::function<bool(const nlohmann::json& body, const core::Error& not_here)>;
bool stamp_or_ask(Context& context, TagRequest& parsed, const AskHolder& ask);
// Asks the process holding the stream to act on `body` (one tag, a removal,
// or {"tags": [...]}, several on the stream); nothing when no other process
// holds it. 503 (ApiError) when too many requests of this process wait for
// answers already; one asked counts until await_holder() answers it.
std::optional<uint64_t> ask_holder(Context& context, const std::string& stream_id,
                                   const nlohmann::json& body);
// 409 not_on_air (422 for a time the stream cannot take), from why the
// packager refused the tag.
[[noreturn]] void not_on_air(const core::Error& error);
// The holder's side of a batch: the tags another process was given for
// `stream_id` in one POST /v1/tags, placed here as that batch places them;
// 200 with one result each, in order.
http::Response place_asked_tags(Context& context, const std::string& stream_id,
                                const nlohmann::json& tags);
// Puts a stored, stamped tag on its stream's timeline, or throws (the row
// deleted again).
void carry_tag(Context& context, const db::TagRecord& record);
// Answers, up to a few seconds later, with the holder's answer to `request_id`.
void await_holder(Context& context, const std::string& stream_id, uint64_t request_id,
                  http::Respond respond);

// Takes a tag back before it is on air, as DELETE does (204, or the error);
// through the holder, as place_tag, when another process packages the stream.
void remove_tag(Context& context, const std::string& stream_id, uint64_t tag_id,
                http::Respond respond);

// The holder's side: on the blocking pool, places (or takes back) the tags
// other processes were asked for on the streams this one holds, as soon as a
// notification says one was asked (and every second besides). The same
// notifications wake this process's requests waiting for another's answer.
class AskedTags {
 public:
  AskedTags(boost::asio::io_context& io, Context& context);
  void start();
  void stop();  // no poll starts after it; one under way finishes

 private:
  void answer_asked();

  Context& context_;
  PeriodicWork work_;
  std::unique_ptr<db::Listener> listener_;
};

}  // namespace looplive::control_api
