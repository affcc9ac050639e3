#include "router.hpp"

#include <algorithm>

#include "request_body.hpp"

namespace looplive::control_api {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> segments;
  if (path.empty() || path.front() != '/') return segments;
  path.remove_prefix(1);
  for (;;) {
    const auto slash = path.find('/');
    segments.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

void Router::add(boost::beast::http::verb method, std::string_view pattern, Access access,
                 RouteHandler handler) {
  routes_.push_back(Route{method, split_path(pattern), access, std::move(handler)});
}

Router::Match Router::match(boost::beast::http::verb method, std::string_view path) const {
  Match found;
  const auto segments = split_path(path);
  for (const auto& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    Params params;
    bool same = true;
    for (size_t i = 0; i < segments.size() && same; ++i) {
      if (route.segments[i] == "{id}")
        same = !segments[i].empty(), params.id = canonical_stream_id(segments[i]);
      else if (route.segments[i] == "{tagId}")
        same = !segments[i].empty(), params.tag_id = segments[i];
      else
        same = route.segments[i] == segments[i];
    }
    if (!same) continue;
    if (route.method == method) {
      found.route = &route;
      found.params = std::move(params);
      return found;
    }
    if (std::find(found.allowed.begin(), found.allowed.end(), route.method) == found.allowed.end())
      found.allowed.push_back(route.method);
  }
  return found;
}

}  // namespace looplive::control_api
