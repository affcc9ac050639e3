// POST /v1/tags: many tags, on one stream or several, in one request. A
// backend placing tags on many shows spends one request, one bearer check
// and one database statement on all of them instead of one each.
#include <atomic>
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

// A batch on its way: items answered here at once, those asked of another
// process as their answers come; the response goes when the last is in.
struct Batch {
  std::vector<BatchItem> items;
  http::Respond respond;
  std::mutex mutex;
  size_t waiting = 0;  // items asked of another process, not yet answered
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

void respond_with_results(Batch& batch) {
  nlohmann::json results = nlohmann::json::array();
  for (BatchItem& item : batch.items) results.push_back(std::move(*item.result));
  respond_once(batch, json_response(bhttp::status::ok, {{"results", std::move(results)}}));
}

// The tags stamped here, stored in one statement. Should a stream have been
// deleted meanwhile, that statement fails whole and each tag is stored alone,
// so only that stream's fail; any other failure is every tag's answer.
void store_and_carry(Context& context, Batch& batch, const std::vector<size_t>& stamped) {
  std::vector<db::NewTag> tags;
  tags.reserve(stamped.size());
  for (size_t index : stamped) tags.push_back(batch.items[index].request.tag);
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
    BatchItem& item = batch.items[stamped[i]];
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

// On the blocking pool: stamps every tag not refused yet, in the order given.
void run_batch(Context& context, const std::shared_ptr<Batch>& batch) {
  std::vector<size_t> stamped;
  std::vector<std::pair<size_t, uint64_t>> asked_of_holder;
  for (size_t i = 0; i < batch->items.size(); ++i) {
    BatchItem& item = batch->items[i];
    if (item.result) continue;
    std::optional<uint64_t> asked;
    bool here = false;
    const http::Response refused = guarded([&]() -> http::Response {
      here = stamp_or_ask(context, item.request, true, asked);
      return http::Response(bhttp::status::accepted);
    });
    if (here) {
      stamped.push_back(i);
    } else if (asked) {
      asked_of_holder.emplace_back(i, *asked);
    } else {
      item.result = item_result(refused);
    }
  }
  store_and_carry(context, *batch, stamped);
  {
    std::lock_guard lock(batch->mutex);
    batch->waiting = asked_of_holder.size();
  }
  if (asked_of_holder.empty()) return respond_with_results(*batch);
  for (const auto& [index, request_id] : asked_of_holder) {
    const std::string stream_id = batch->items[index].request.tag.stream_id;
    await_holder(context, stream_id, request_id, [batch, index = index](http::Response response) {
      bool last = false;
      {
        std::lock_guard lock(batch->mutex);
        batch->items[index].result = item_result(response);
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

void add_tag_batch_routes(Router& router) {
  router.add(bhttp::verb::post, "/v1/tags", Access::token, post_tag_batch);
}

}  // namespace looplive::control_api
