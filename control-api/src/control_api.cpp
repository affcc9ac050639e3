#include "looplive/control_api/control_api.hpp"

#include <algorithm>
#include <cstdlib>

#include <boost/asio/post.hpp>
#include <boost/beast/http/field.hpp>

#include "context.hpp"
#include "looplive/http/server.hpp"
#include "retention.hpp"
#include "router.hpp"
#include "tag_placing.hpp"

namespace looplive::control_api {

void Context::blocking(http::Respond respond, std::function<http::Response()> fn) {
  boost::asio::post(deps.blocking,
                    [respond = std::move(respond), fn = std::move(fn)] { respond(guarded(fn)); });
}

core::ViewerFigures Context::viewers(const std::string& stream_id) const {
  return deps.viewers ? deps.viewers->viewers(stream_id) : core::ViewerFigures{};
}

struct ControlApi::Impl {
  Impl(ApiSettings settings, ApiDependencies dependencies)
      : context(std::move(settings), std::move(dependencies)) {
    add_stream_routes(router);
    add_action_routes(router);
    add_hook_routes(router);
    add_ops_routes(router);
    add_preview_routes(router);
    add_tag_routes(router);
    add_tag_batch_routes(router);
    add_vod_job_routes(router);
  }

  enum class Verdict { allowed, unauthorized, read_only };

  Verdict allowed(Access access, const http::Request& request, bhttp::verb method) const {
    const std::shared_ptr<const AccessRules> rules = context.access();
    const auto token = bearer_token(request.header(bhttp::field::authorization));
    const bool full = token && rules->tokens.contains(*token);
    const bool reader = !full && token && rules->read_tokens.contains(*token);
    // A read token reads: HEAD is routed as GET.
    const auto by_token = [&] {
      if (full || (reader && method == bhttp::verb::get)) return Verdict::allowed;
      return reader ? Verdict::read_only : Verdict::unauthorized;
    };
    switch (access) {
      case Access::open:
        return Verdict::allowed;
      case Access::token:
        return by_token();
      case Access::metrics:
        return rules->metrics_require_auth ? by_token() : Verdict::allowed;
      case Access::hook: {
        const auto& addresses = rules->hook_allowed_addresses;
        const bool listed =
            std::find(addresses.begin(), addresses.end(), request.peer) != addresses.end();
        return listed || full ? Verdict::allowed : Verdict::unauthorized;
      }
    }
    return Verdict::unauthorized;
  }

  void handle(const http::Request& request, http::Respond respond) {
    const auto method = request.method() == bhttp::verb::head ? bhttp::verb::get : request.method();
    auto match = router.match(method, request.path());
    if (!match.route) {
      if (match.allowed.empty())
        return respond(error_response(bhttp::status::not_found, "not_found", "No such endpoint."));
      auto response = error_response(bhttp::status::method_not_allowed, "method_not_allowed",
                                     "This endpoint does not accept this method.");
      std::string allow;
      for (auto verb : match.allowed)
        allow += (allow.empty() ? "" : ", ") + std::string(bhttp::to_string(verb));
      response.headers.set(bhttp::field::allow, allow);
      return respond(std::move(response));
    }
    const Verdict verdict = allowed(match.route->access, request, method);
    if (verdict == Verdict::read_only)
      return respond(error_response(bhttp::status::forbidden, "forbidden",
                                    "This token may only read (GET); a write needs one of "
                                    "api.tokens."));
    if (verdict != Verdict::allowed) {
      const bool presented = !request.header(bhttp::field::authorization).empty();
      auto response = error_response(
          bhttp::status::unauthorized, "unauthorized",
          presented ? "The bearer token is not valid." : "A bearer token is required.");
      response.headers.set(bhttp::field::www_authenticate, "Bearer realm=\"looplive\"");
      return respond(std::move(response));
    }
    // Validation errors are thrown before any work is queued.
    try {
      match.route->handler(context, request, match.params, respond);
    } catch (...) {
      respond(guarded([]() -> http::Response { throw; }));
    }
  }

  Context context;
  Router router;
  std::unique_ptr<http::Server> server;
  std::unique_ptr<Retention> retention;
  std::unique_ptr<AskedTags> asked_tags;
};

ControlApi::ControlApi(boost::asio::io_context& io, ApiSettings settings,
                       ApiDependencies dependencies)
    : impl_(std::make_unique<Impl>(std::move(settings), std::move(dependencies))) {
  impl_->context.io = &io;
  impl_->retention = std::make_unique<Retention>(io, impl_->context);
  impl_->asked_tags = std::make_unique<AskedTags>(io, impl_->context);
  const auto& api = impl_->context.settings.api;
  http::ServerLimits limits;
  limits.max_connections = 1024;
  limits.max_connections_per_ip = 256;
  limits.max_body_bytes = 64 * 1024;  // stream metadata is small
  impl_->server = std::make_unique<http::Server>(
      io, "api", api.host, api.port, limits,
      [impl = impl_.get()](const http::Request& request, http::Respond respond) {
        impl->handle(request, std::move(respond));
      });
  impl_->context.http_figures = [impl = impl_.get()] { return impl->server->figures(); };
  if (impl_->context.access()->tokens.empty())
    impl_->context.log->warn(
        "no API token is configured (api.tokens or LOOPLIVE_API_TOKENS): every authenticated "
        "request will be refused");
}

ControlApi::~ControlApi() {
  stop();
}

void ControlApi::start() {
  impl_->server->start();
  impl_->retention->start();
  impl_->asked_tags->start();
  impl_->context.log->info("control API listening on {}:{}", impl_->context.settings.api.host,
                           port());
}

void ControlApi::stop() {
  impl_->server->stop();
  impl_->retention->stop();
  impl_->asked_tags->stop();
}

uint16_t ControlApi::port() const {
  return impl_->server->port();
}

http::ServerFigures ControlApi::figures() const {
  return impl_->server->figures();
}

void ControlApi::set_access(const ApiConfig& api) {
  impl_->context.set_access(api);
}

void ControlApi::handle(const http::Request& request, http::Respond respond) {
  impl_->handle(request, std::move(respond));
}

}  // namespace looplive::control_api
