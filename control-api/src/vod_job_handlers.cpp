// POST /v1/vod/jobs, GET /v1/vod/jobs, GET /v1/vod/jobs/{id}, DELETE /v1/vod/jobs/{id}.
#include <boost/beast/http/field.hpp>

#include "auth.hpp"
#include "context.hpp"
#include "cursor.hpp"
#include "looplive/control_api/vod_jobs.hpp"
#include "looplive/core/ladder_choice.hpp"
#include "looplive/http/util.hpp"
#include "request_body.hpp"
#include "router.hpp"

namespace looplive::control_api {
namespace {

constexpr size_t kDefaultPageSize = 20;
constexpr size_t kMaxPageSize = 100;
constexpr size_t kMaxMetadataBytes = 16 * 1024;
constexpr size_t kMaxSourceLength = 2048;
constexpr size_t kMaxRungs = 4;

[[noreturn]] void invalid(const std::string& message) {
  throw ApiError(bhttp::status::unprocessable_entity, "invalid", message);
}

void require_jobs(const Context& context) {
  if (context.deps.vod_jobs == nullptr || context.deps.vod_control == nullptr)
    throw ApiError(bhttp::status::service_unavailable, "unavailable",
                   "VOD jobs are not available on this server (vod.workers is 0).");
}

std::vector<std::string> rungs_of(const nlohmann::json& body) {
  std::vector<std::string> rungs;
  const auto it = body.find("rungs");
  if (it == body.end() || it->is_null()) return rungs;
  const auto fail = [](const std::string& why) {
    invalid("\"rungs\" must be a list of 1 to 4 rungs such as [\"1080p@5000k\", \"720p@2800k\"]" +
            why);
  };
  if (!it->is_array() || it->empty() || it->size() > kMaxRungs) fail(".");
  for (const auto& item : *it) {
    if (!item.is_string()) fail(".");
    auto rung = core::parse_rung(item.get<std::string>());
    if (!rung) fail(": " + rung.error().message + ".");
    rungs.push_back(core::rung_text(*rung));
  }
  return rungs;
}

db::NewVodJob parse_job(const Context& context, const http::Request& request) {
  const auto body = json_body(request);
  reject_unknown_fields(body, {"id", "source", "rungs", "posterAtSeconds", "metadata"});
  db::NewVodJob job;
  if (const auto id = optional_string(body, "id")) {
    if (!is_uuid(*id)) invalid("\"id\" must be a UUID.");
    job.id = canonical_stream_id(*id);
  }
  const auto source = optional_string(body, "source");
  if (!source || source->empty() || source->size() > kMaxSourceLength)
    invalid(
        "\"source\" is required: a file name under the import folder, or an http(s) URL (at "
        "most " +
        std::to_string(kMaxSourceLength) + " characters).");
  if (const auto why = context.deps.vod_control->refuse_source(*source)) invalid(*why);
  job.source = *source;
  job.rungs = rungs_of(body);
  if (const auto it = body.find("posterAtSeconds"); it != body.end() && !it->is_null()) {
    if (!it->is_number() || it->get<double>() < 0 || it->get<double>() > 1e6)
      invalid("\"posterAtSeconds\" must be a number of seconds into the video, from 0.");
    job.poster_at_seconds = it->get<double>();
  }
  if (const auto it = body.find("metadata"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) invalid("\"metadata\" must be a JSON object.");
    job.metadata_json = it->dump();
    if (job.metadata_json.size() > kMaxMetadataBytes)
      invalid("\"metadata\" must be at most " + std::to_string(kMaxMetadataBytes) +
              " bytes as compact JSON.");
  }
  return job;
}

void create_job(Context& context, const http::Request& request, const Params&,
                http::Respond respond) {
  require_jobs(context);
  db::NewVodJob job = parse_job(context, request);
  // The route takes only a full token, so there is one.
  if (const auto token = bearer_token(request.header(bhttp::field::authorization)))
    job.client = client_name(*token);
  context.blocking(std::move(respond), [&context, job = std::move(job)] {
    const db::VodJobRecord created =
        context.deps.vod_jobs->insert(job, context.deps.vod_control->queue_caps());
    context.deps.vod_control->wake();
    context.log->info("VOD job {} queued", created.job.id);
    auto response = json_response(bhttp::status::created, vod_job_json(created, context.urls));
    response.headers.set(bhttp::field::location, "/v1/vod/jobs/" + created.job.id);
    return response;
  });
}

void require_job_id(const std::string& id) {
  if (!is_uuid(id)) throw ApiError(bhttp::status::not_found, "not_found", "No such VOD job.");
}

void get_job(Context& context, const http::Request&, const Params& params, http::Respond respond) {
  require_jobs(context);
  require_job_id(params.id);
  context.blocking(std::move(respond), [&context, id = params.id] {
    const auto job = context.deps.vod_jobs->find(id);
    if (!job) throw ApiError(bhttp::status::not_found, "not_found", "No such VOD job.");
    return json_response(bhttp::status::ok, vod_job_json(*job, context.urls));
  });
}

void list_jobs(Context& context, const http::Request& request, const Params&,
               http::Respond respond) {
  require_jobs(context);
  const size_t page = page_limit(request, kDefaultPageSize, kMaxPageSize);
  std::optional<db::VodJobPosition> after;
  if (auto text = http::query_param(request.query(), "cursor"); text && !text->empty()) {
    const auto cursor = decode_cursor(*text);
    if (!cursor || !is_uuid(cursor->id)) invalid("\"cursor\" is not a cursor this API returned.");
    after = db::VodJobPosition{cursor->created_at, cursor->id};
  }
  context.blocking(std::move(respond), [&context, page, after] {
    // One more tells whether another page follows.
    auto jobs = context.deps.vod_jobs->list(after, page + 1);
    nlohmann::json next = nullptr;
    if (jobs.size() > page) {
      jobs.resize(page);
      next = encode_cursor(Cursor{jobs.back().created_at, jobs.back().job.id});
    }
    nlohmann::json items = nlohmann::json::array();
    for (const auto& job : jobs) items.push_back(vod_job_json(job, context.urls));
    return json_response(bhttp::status::ok, {{"jobs", items}, {"nextCursor", next}});
  });
}

void delete_job(Context& context, const http::Request&, const Params& params,
                http::Respond respond) {
  require_jobs(context);
  require_job_id(params.id);
  context.blocking(std::move(respond), [&context, id = params.id] {
    // The row first: a worker that finishes meanwhile finds its job gone and
    // removes what it made; then whatever is on disk here.
    if (!context.deps.vod_jobs->remove(id))
      throw ApiError(bhttp::status::not_found, "not_found", "No such VOD job.");
    context.deps.vod_control->forget(id);
    context.log->info("VOD job {} deleted", id);
    return http::Response(bhttp::status::no_content);
  });
}

}  // namespace

void add_vod_job_routes(Router& router) {
  router.add(bhttp::verb::post, "/v1/vod/jobs", Access::token, create_job);
  router.add(bhttp::verb::get, "/v1/vod/jobs", Access::token, list_jobs);
  router.add(bhttp::verb::get, "/v1/vod/jobs/{id}", Access::token, get_job);
  router.add(bhttp::verb::delete_, "/v1/vod/jobs/{id}", Access::token, delete_job);
}

}  // namespace looplive::control_api
