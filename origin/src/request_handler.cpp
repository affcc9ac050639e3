#include "request_handler.hpp"

#include <cstdio>
#include <ctime>

#include "disk_file.hpp"
#include "representation.hpp"

namespace looplive::origin {

namespace bhttp = boost::beast::http;

namespace {

constexpr std::string_view kAllowed = "GET, HEAD, OPTIONS";
constexpr std::string_view kText = "text/plain; charset=utf-8";

http::Response plain(bhttp::status status, std::string body, std::string_view cache_control) {
  http::Response response(status, std::move(body), kText);
  response.headers.set(bhttp::field::cache_control, cache_control);
  return response;
}

// Never cached: a segment asked for a moment early must not stay missing in a CDN.
http::Response not_found() {
  return plain(bhttp::status::not_found, "Not Found\n", CachePolicy::kNoStore);
}

bool is_success(bhttp::status status) {
  return status == bhttp::status::ok || status == bhttp::status::partial_content ||
         status == bhttp::status::not_modified;
}

}  // namespace

std::string iso8601_utc(std::chrono::system_clock::time_point time) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  std::time_t seconds = std::time_t(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + length, sizeof text - length, ".%03dZ", int(ms % 1000));
  return text;
}

RequestHandler::RequestHandler(const OriginConfig& config, const LiveSource& source,
                               ViewerRegistry& viewers, RouteMetrics& metrics,
                               OriginService::Clock clock)
    : live_dir_(config.media_root + "/live"),
      vods_dir_(config.media_root + "/vods"),
      session_param_(config.session_param),
      source_(source),
      viewers_(viewers),
      metrics_(metrics),
      clock_(std::move(clock)),
      cache_(config.target_duration, config.vod_max_age_s),
      cors_(config.cors_allowed_origins),
      proxies_(config.trusted_proxies) {}

void RequestHandler::operator()(const http::Request& request, const http::Respond& respond) const {
  auto started = std::chrono::steady_clock::now();
  Answer result;
  // Outlives the branches below: result.viewed_stream may point into it.
  std::variant<Target, TargetError> target = TargetError::not_found;
  auto method = request.method();
  if (method == bhttp::verb::options) {
    result.response = cors_.preflight(request.header(bhttp::field::origin));
  } else if (method != bhttp::verb::get && method != bhttp::verb::head) {
    result.response =
        plain(bhttp::status::method_not_allowed, "Method Not Allowed\n", CachePolicy::kNoStore);
    result.response.headers.set(bhttp::field::allow, kAllowed);
  } else {
    target = parse_target(request.path());
    if (const auto* found = std::get_if<Target>(&target))
      result = answer(request, *found);
    else if (std::get<TargetError>(target) == TargetError::bad_request)
      result.response = plain(bhttp::status::bad_request, "Bad Request\n", CachePolicy::kNoStore);
    else
      result.response = not_found();
  }
  if (method != bhttp::verb::options)
    cors_.apply(request.header(bhttp::field::origin), result.response);
  if (result.viewed_stream && is_success(result.response.status))
    viewers_.touch(*result.viewed_stream, session_key(request, session_param_, proxies_), clock_());
  metrics_.record(result.route, unsigned(result.response.status),
                  std::chrono::steady_clock::now() - started);
  respond(std::move(result.response));
}

RequestHandler::Answer RequestHandler::answer(const http::Request& request,
                                              const Target& target) const {
  switch (target.area) {
    case Target::Area::live:
      return live_file(request, target);
    case Target::Area::vods:
      return vod_file(request, target);
    case Target::Area::health:
      return {plain(bhttp::status::ok, "ok", CachePolicy::kNoStore), Route::health};
    case Target::Area::time:
      // The packager's MPD points UTCTiming here; a cached time would skew every player.
      return {plain(bhttp::status::ok, iso8601_utc(std::chrono::system_clock::now()),
                    CachePolicy::kNoCache),
              Route::other};
  }
  return {not_found(), Route::other};
}

RequestHandler::Answer RequestHandler::live_file(const http::Request& request,
                                                 const Target& target) const {
  Answer result;
  result.route = live_route(target.file);
  std::optional<Representation> representation;
  if (auto file = source_.find(target.stream_id, target.file)) {
    representation.emplace();
    representation->size = file->bytes.size();
    representation->etag = file->etag.empty() ? etag_of(file->bytes) : std::move(file->etag);
    representation->last_modified = file->last_modified;
    representation->content = std::move(file->bytes);
    // Only a stream still in memory is live; its recorded segments on disk are VOD viewing.
    if (counts_as_viewing(result.route)) result.viewed_stream = &target.stream_id;
  } else {
    representation = find_disk_file(live_dir_, {target.stream_id, target.file});
  }
  result.response = representation
                        ? origin::answer(request, *representation, content_type(target.file),
                                         cache_.for_route(result.route))
                        : not_found();
  return result;
}

RequestHandler::Answer RequestHandler::vod_file(const http::Request& request,
                                                const Target& target) const {
  auto representation = find_disk_file(vods_dir_, {target.file});
  if (!representation) return {not_found(), Route::vod};
  return {origin::answer(request, *representation, content_type(target.file),
                         cache_.for_route(Route::vod)),
          Route::vod};
}

}  // namespace looplive::origin
