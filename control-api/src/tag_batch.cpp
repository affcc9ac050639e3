// POST /v1/tags: many tags, on one stream or several, in one request. A
// backend placing tags on many shows spends one request, one bearer check
// and one database statement on all of them instead of one each.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>

#include <boost/asio/post.hpp>

#include "context.hpp"
#include "looplive/core/error.hpp"
#include "request_body.hpp"
#include "router.hpp"
#include "tag_json.hpp"
#include "tag_placing.hpp"

namespace looplive::control_api {
namespace {

constexpr size_t kMaxBatch = 100;

struct BatchItem {
  TagRequest request;
  std::optional<nlohmann::json> result;  // set once the tag is answered
};

// Tags a batch hands to the process packaging one stream, in one request.
struct AskedGroup {
  std::vector<size_t> items;
  nlohmann::json bodies = nlohmann::json::array();
  core::Error not_here;
};

// A batch on its way: items answered here at once, those asked of another
// process as their answers come; the response goes when the last is in.
struct Batch {
  std::vector<BatchItem> items;
  http::Respond respond;
  std::mutex mutex;
  // The tags asked of other processes, by stream: one request each.
  std::map<std::string, AskedGroup> asked;
  size_t waiting = 0;  // requests asked of other processes, not yet answered
  std::atomic<bool> responded{false};
};

// One item's answer: its status and, as the single-tag POST answers, the tag
// (2xx) or the error object.
nlohmann::json item_result(const http::Response& response) {
  const int status = static_cast<int>(response.status);
  const auto* text = std::get_if<std::string>(&response.body);
  nlohmann::json body = text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
  if (status >= 200 && status < 300) return {{"status", status}, {"tag", body}};
  nlohmann::json error = body.is_object() && body.contains("error") ? body["error"] : body;
  return {{"status", status}, {"error", error}};
}

// Once: a batch whose server failed it as a whole may still hear answers
// for the tags it asked of other processes.
void respond_once(Batch& batch, http::Response response) {
  if (!batch.responded.exchange(true)) batch.respond(std::move(response));
}

// 200 with every item's result, in order.
http::Response results_response(std::vector<BatchItem>& items) {
  nlohmann::json results = nlohmann::json::array();
  for (BatchItem& item : items) results.push_back(std::move(*item.result));
  return json_response(bhttp::status::ok, {{"results", std::move(results)}});
}

void respond_with_results(Batch& batch) {
  respond_once(batch, results_response(batch.items));
}

// The tags stamped here, stored in one statement. Should a stream have been
// deleted meanwhile, that statement fails whole and each tag is stored alone,
// so only that stream's fail; any other failure is every tag's answer.
void store_and_carry(Context& context, std::vector<BatchItem>& items,
                     const std::vector<size_t>& stamped) {
  std::vector<db::NewTag> tags;
  tags.reserve(stamped.size());
  for (size_t index : stamped) tags.push_back(items[index].request.tag);
  std::vector<db::TagRecord> records;
  std::optional<http::Response> failed;
  bool one_by_one = false;
  try {
    records = context.deps.tag_store->insert_all(tags);
  } catch (const core::Failure& error) {
    one_by_one = error.code() == core::ErrorCode::not_found;
    if (!one_by_one) failed = guarded([]() -> http::Response { throw; });
  } catch (const std::exception&) {
    failed = guarded([]() -> http::Response { throw; });
  }
  for (size_t i = 0; i < stamped.size(); ++i) {
    BatchItem& item = items[stamped[i]];
    if (failed) {
      item.result = item_result(*failed);
      continue;
    }
    std::optional<nlohmann::json> placed;
    const http::Response refused = guarded([&]() -> http::Response {
      const db::TagRecord record =
          one_by_one ? context.deps.tag_store->insert(tags[i]) : records[i];
      carry_tag(context, record);
      placed = tag_json(record);
      return http::Response(bhttp::status::created);
    });
    item.result = placed ? nlohmann::json{{"status", 201}, {"tag", std::move(*placed)}}
                         : item_result(refused);
  }
}

// Stamps every item not refused yet, in the order given, and stores those
// stamped here in one statement. Items on a stream another process packages
// go into `asked`, one group per stream, when the caller will ask for them.
void stamp_and_store(Context& context, std::vector<BatchItem>& items,
                     std::map<std::string, AskedGroup>* asked) {
  std::vector<size_t> stamped;
  for (size_t i = 0; i < items.size(); ++i) {
    BatchItem& item = items[i];
    if (item.result) continue;
    const std::string& stream_id = item.request.tag.stream_id;
    const auto defer = [&](const nlohmann::json& body, const core::Error& not_here) {
      AskedGroup& group = (*asked)[stream_id];
      group.items.push_back(i);
      group.bodies.push_back(body);
      group.not_here = not_here;
      return true;
    };
    bool here = false;
    const http::Response refused = guarded([&]() -> http::Response {
      here = stamp_or_ask(context, item.request, asked ? AskHolder(defer) : AskHolder());
      return http::Response(bhttp::status::accepted);
    });
    if (here) {
      stamped.push_back(i);
    } else if (refused.status != bhttp::status::accepted) {
      item.result = item_result(refused);
    }
  }
  store_and_carry(context, items, stamped);
}

// The holder's answer to a group: its results in order, or one answer for all.
void take_group_answer(Batch& batch, const AskedGroup& group, const http::Response& response) {
  const auto* text = std::get_if<std::string>(&response.body);
  const nlohmann::json body =
      text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
  const bool each = response.status == bhttp::status::ok && body.is_object() &&
                    body.contains("results") && body["results"].is_array() &&
                    body["results"].size() == group.items.size();
  for (size_t k = 0; k < group.items.size(); ++k)
    batch.items[group.items[k]].result = each ? body["results"][k] : item_result(response);
}

// On the blocking pool: places the tags of streams packaged here, and asks
// each other process for its streams' tags, one request per stream.
void run_batch(Context& context, const std::shared_ptr<Batch>& batch) {
  stamp_and_store(context, batch->items, &batch->asked);
  std::vector<std::pair<const AskedGroup*, uint64_t>> asked;
  for (const auto& [stream_id, group] : batch->asked) {
    std::optional<uint64_t> request_id;
    const http::Response refused = guarded([&]() -> http::Response {
      request_id = ask_holder(context, stream_id, {{"tags", group.bodies}});
      if (!request_id) not_on_air(group.not_here);  // it stopped meanwhile
      return http::Response(bhttp::status::accepted);
    });
    if (request_id) {
      asked.emplace_back(&group, *request_id);
    } else {
      take_group_answer(*batch, group, refused);
    }
  }
  if (asked.empty()) return respond_with_results(*batch);
  {
    std::lock_guard lock(batch->mutex);
    batch->waiting = asked.size();
  }
  for (const auto& [group, request_id] : asked) {
    const std::string& stream_id = batch->items[group->items.front()].request.tag.stream_id;
    await_holder(context, stream_id, request_id, [batch, group](http::Response response) {
      bool last = false;
      {
        std::lock_guard lock(batch->mutex);
        take_group_answer(*batch, *group, response);
        last = --batch->waiting == 0;
      }
      if (last) respond_with_results(*batch);
    });
  }
}

// Checks the envelope (422 for the whole request) and each tag (its own
// result), and takes each stream's rate, in order, before any is placed.
std::shared_ptr<Batch> parse_batch(Context& context, const nlohmann::json& body) {
  reject_unknown_fields(body, {"tags"});
  const auto tags = body.find("tags");
  if (tags == body.end() || !tags->is_array() || tags->empty() || tags->size() > kMaxBatch)
    throw ApiError(bhttp::status::unprocessable_entity, "invalid",
                   "\"tags\" is required: an array of 1 to " + std::to_string(kMaxBatch) +
                       " tags, each a tag as POST /v1/streams/{id}/tags takes it plus its "
                       "\"streamId\".");
  auto batch = std::make_shared<Batch>();
  batch->items.resize(tags->size());
  for (size_t i = 0; i < tags->size(); ++i) {
    BatchItem& item = batch->items[i];
    const http::Response refused = guarded([&]() -> http::Response {
      const nlohmann::json& tag = (*tags)[i];
      if (!tag.is_object())
        throw ApiError(bhttp::status::unprocessable_entity, "invalid", "A tag is a JSON object.");
      const auto stream = optional_string(tag, "streamId");
      if (!stream || !is_uuid(*stream))
        throw ApiError(bhttp::status::unprocessable_entity, "invalid",
                       "\"streamId\" is required: the id of the stream the tag goes on.");
      nlohmann::json fields = tag;
      fields.erase("streamId");
      item.request = parse_tag(fields);
      item.request.tag.stream_id = canonical_stream_id(*stream);
      if (auto limited = take_tag_rate(context, item.request.tag.stream_id))
        return std::move(*limited);
      return http::Response(bhttp::status::accepted);
    });
    if (refused.status != bhttp::status::accepted) item.result = item_result(refused);
  }
  return batch;
}

void post_tag_batch(Context& context, const http::Request& request, const Params&,
                    http::Respond respond) {
  if (context.deps.tag_store == nullptr || context.deps.tag_carrier == nullptr)
    throw ApiError(bhttp::status::service_unavailable, "unavailable",
                   "Product tags are not available on this server.");
  std::shared_ptr<Batch> batch = parse_batch(context, json_body(request));
  batch->respond = std::move(respond);
  boost::asio::post(context.deps.blocking, [&context, batch] {
    try {
      run_batch(context, batch);
    } catch (const std::exception& error) {
      // Answered items stay placed; the caller reads the timeline to see which.
      context.log->error("a batch of tags failed: {}", error.what());
      respond_once(*batch,
                   error_response(bhttp::status::internal_server_error, "internal",
                                  "The batch failed on the server; it has been logged. Read "
                                  "the streams' tag timelines to see which tags were placed."));
    }
  });
}

}  // namespace

http::Response place_asked_tags(Context& context, const std::string& stream_id,
                                const nlohmann::json& tags) {
  if (!tags.is_array() || tags.empty() || tags.size() > kMaxBatch)
    throw ApiError(bhttp::status::unprocessable_entity, "invalid",
                   "\"tags\" must be 1 to " + std::to_string(kMaxBatch) + " tags.");
  std::vector<BatchItem> items(tags.size());
  for (size_t i = 0; i < tags.size(); ++i) {
    BatchItem& item = items[i];
    const http::Response refused = guarded([&]() -> http::Response {
      if (auto limited = take_tag_rate(context, stream_id)) return std::move(*limited);
      item.request = parse_tag(tags[i]);
      item.request.tag.stream_id = stream_id;
      return http::Response(bhttp::status::accepted);
    });
    if (refused.status != bhttp::status::accepted) item.result = item_result(refused);
  }
  stamp_and_store(context, items, nullptr);
  return results_response(items);
}

void add_tag_batch_routes(Router& router) {
  router.add(bhttp::verb::post, "/v1/tags", Access::token, post_tag_batch);
}

}  // namespace looplive::control_api
