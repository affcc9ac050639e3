// POST /v1/hooks/validate-key: key validation for RTMP servers in front of
// looplive, in the nginx-rtmp on_publish style (2xx accepts, anything else
// refuses), and as SRS's http_hooks on_publish asks (JSON with "action",
// answered 200 with {"code": 0} to accept).
#include "context.hpp"
#include "looplive/http/util.hpp"
#include "request_body.hpp"
#include "router.hpp"

namespace looplive::control_api {

namespace {

struct KeyQuestion {
  std::string key;
  std::optional<std::string> app;
  std::string address;  // the publisher's, for the log
  bool srs = false;     // SRS reads "code" in the answer: 0 accepts
};

// The publish name may carry a query ("sk_...?token=x") and slashes around it.
std::string strip_name(std::string name) {
  if (auto query = name.find('?'); query != std::string::npos) name.resize(query);
  while (!name.empty() && name.back() == '/') name.pop_back();
  return name;
}

KeyQuestion read_question(const http::Request& request) {
  KeyQuestion question;
  if (is_form(request)) {
    const std::string& form = request.message.body();
    question.key = strip_name(http::query_param(form, "name").value_or(""));
    question.app = http::query_param(form, "app");
    question.address = http::query_param(form, "addr").value_or("");
  } else if (const auto body = json_body(request); body.contains("action")) {
    // SRS names more of the client with each version (client_id, vhost,
    // tcUrl, server_id, stream_url, ...); the key is the stream name.
    if (optional_string(body, "action") != "on_publish")
      throw ApiError(bhttp::status::bad_request, "bad_request",
                     "Only SRS's on_publish hook is answered here.");
    question.srs = true;
    question.key = strip_name(optional_string(body, "stream").value_or(""));
    question.app = optional_string(body, "app");
    question.address = optional_string(body, "ip").value_or("");
  } else {
    reject_unknown_fields(body, {"key", "app", "addr"});
    question.key = strip_name(optional_string(body, "key").value_or(""));
    question.app = optional_string(body, "app");
    question.address = optional_string(body, "addr").value_or("");
  }
  if (question.key.empty())
    throw ApiError(bhttp::status::bad_request, "bad_request",
                   "Send the key as JSON {\"key\": ...}, as the form field \"name\" or as "
                   "SRS's \"stream\".");
  if (question.app) *question.app = strip_name(*question.app);
  return question;
}

void validate_key(Context& context, const http::Request& request, const Params&,
                  http::Respond respond) {
  auto question = read_question(request);
  if (question.app && *question.app != context.settings.rtmp_app)
    throw ApiError(bhttp::status::forbidden, "forbidden",
                   "Unknown application; publish to /" + context.settings.rtmp_app + ".");
  context.blocking(std::move(respond), [&context, question = std::move(question)] {
    const auto refuse = [&](const std::string& message) {
      context.log->info("validate-key from {}: refused ({})",
                        question.address.empty() ? "unknown address" : question.address, message);
      return error_response(bhttp::status::forbidden, "forbidden", message);
    };
    const auto match = context.deps.streams.find_by_key(question.key);
    if (!match || match->revoked || match->status == db::StreamStatus::ended)
      return refuse("Invalid or expired stream key.");
    if (context.deps.registry.is_live(match->stream_id))
      return refuse("This stream key is already publishing.");
    nlohmann::json accepted{{"streamId", match->stream_id},
                            {"status", db::status_name(match->status)},
                            {"record", match->record}};
    if (question.srs) accepted["code"] = 0;
    return json_response(bhttp::status::ok, std::move(accepted));
  });
}

}  // namespace

void add_hook_routes(Router& router) {
  router.add(bhttp::verb::post, "/v1/hooks/validate-key", Access::hook, validate_key);
}

}  // namespace looplive::control_api
