#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/verb.hpp>

#include "looplive/http/handler.hpp"

namespace looplive::control_api {

struct Context;

// Who may call a route.
enum class Access {
  open,     // anyone (liveness and readiness probes)
  token,    // a configured bearer token
  hook,     // a bearer token, or a peer in api.hook_allowed_addresses
  metrics,  // anyone, unless api.metrics_require_auth
};

struct Params {
  std::string id;      // the {id} segment, when the pattern has one (a stream id, canonical)
  std::string tag_id;  // the {tagId} segment, as sent
};

using RouteHandler = std::function<void(Context& context, const http::Request& request,
                                        const Params& params, http::Respond respond)>;

struct Route {
  boost::beast::http::verb method;
  std::vector<std::string> segments;  // "{id}", "{tagId}" match any one non-empty segment
  Access access;
  RouteHandler handler;
};

// Method and path to route. Paths match segment by segment, exactly (no
// trailing slash, no decoding: ids are UUIDs).
class Router {
 public:
  void add(boost::beast::http::verb method, std::string_view pattern, Access access,
           RouteHandler handler);

  struct Match {
    const Route* route = nullptr;
    Params params;
    std::vector<boost::beast::http::verb> allowed;  // when the path exists under other methods
  };
  Match match(boost::beast::http::verb method, std::string_view path) const;

 private:
  std::vector<Route> routes_;
};

std::vector<std::string> split_path(std::string_view path);

}  // namespace looplive::control_api
