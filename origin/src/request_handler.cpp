#include "request_handler.hpp"

#include <charconv>
#include <cstdint>
#include <filesystem>
#include <optional>

#include "disk_file.hpp"
#include "growing_body.hpp"
#include "looplive/http/util.hpp"
#include "looplive/media/stream_files.hpp"
#include "looplive/media/text_format.hpp"
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

// A whole non-negative decimal number, nothing around it.
std::optional<uint64_t> decimal(std::string_view text) {
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// _HLS_skip=YES asks for a delta update, v2 for one that also skips the
// older date ranges.
enum class DeltaAsked { none, skip_segments, skip_dateranges_too };
DeltaAsked delta_asked(const http::Request& request) {
  const auto skip = http::query_param(request.query(), "_HLS_skip");
  if (skip == "YES") return DeltaAsked::skip_segments;
  if (skip == "v2") return DeltaAsked::skip_dateranges_too;
  return DeltaAsked::none;
}

bool is_success(bhttp::status status) {
  return status == bhttp::status::ok || status == bhttp::status::partial_content ||
         status == bhttp::status::not_modified;
}

// "2025-10-18T06:59:43.871Z": what DASH players' http-iso clock sync expects.
std::string wall_clock_text() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return media::utc_timestamp(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
}

}  // namespace

RequestHandler::RequestHandler(const OriginConfig& config, const LiveSource& source,
                               ViewerRegistry& viewers, RouteMetrics& metrics, HeldPerThread& held,
                               OriginService::Clock clock)
    : live_dir_((std::filesystem::path(config.media_root) / media::files::kLiveDir).string()),
      vods_dir_(media::files::vods_dir(config.media_root).string()),
      session_param_(config.session_param),
      source_(source),
      viewers_(viewers),
      metrics_(metrics),
      held_(held),
      hold_limit_(config.target_duration * 3),
      clock_(std::move(clock)),
      cache_(config.target_duration, config.vod_max_age_s),
      policy_(std::make_shared<const ClientPolicy>(ClientPolicy{
          CorsPolicy(config.cors_allowed_origins), TrustedProxies(config.trusted_proxies)})) {}

void RequestHandler::set_client_policy(const OriginConfig& config) {
  policy_.store(std::make_shared<const ClientPolicy>(ClientPolicy{
      CorsPolicy(config.cors_allowed_origins), TrustedProxies(config.trusted_proxies)}));
}

void RequestHandler::operator()(const http::Request& request, const http::Respond& respond) const {
  const auto started = std::chrono::steady_clock::now();
  Answer result;
  // Outlives the branches below: result.viewed_stream may point into it.
  std::variant<Target, TargetError> target = TargetError::not_found;
  auto method = request.method();
  if (method == bhttp::verb::options) {
    result.response = policy()->cors.preflight(request.header(bhttp::field::origin));
  } else if (method != bhttp::verb::get && method != bhttp::verb::head) {
    result.response =
        plain(bhttp::status::method_not_allowed, "Method Not Allowed\n", CachePolicy::kNoStore);
    result.response.headers.set(bhttp::field::allow, kAllowed);
  } else {
    target = parse_target(request.path());
    if (const auto* found = std::get_if<Target>(&target)) {
      const bool live = found->area == Target::Area::live;
      if (live && live_route(found->file) == Route::playlist &&
          wait_for_playlist(request, *found, started, respond))
        return;
      result = answer(request, *found);
      // Only a segment not there (yet) is looked for among those on their
      // way, so the segments that are there cost no more lookups.
      if (live && result.route == Route::segment &&
          result.response.status == bhttp::status::not_found &&
          wait_for_segment(request, *found, started, respond))
        return;
    } else if (std::get<TargetError>(target) == TargetError::bad_request) {
      result.response = plain(bhttp::status::bad_request, "Bad Request\n", CachePolicy::kNoStore);
    } else {
      result.response = not_found();
    }
  }
  finish(request, std::move(result), started, respond);
}

void RequestHandler::finish(const http::Request& request, Answer result, Started started,
                            const http::Respond& respond) const {
  const auto policy = this->policy();
  if (request.method() != bhttp::verb::options)
    policy->cors.apply(request.header(bhttp::field::origin), result.response);
  if (result.viewed_stream && is_success(result.response.status))
    viewers_.touch(*result.viewed_stream, session_key(request, session_param_, policy->proxies),
                   clock_());
  metrics_.record(result.route, unsigned(result.response.status),
                  std::chrono::steady_clock::now() - started);
  respond(std::move(result.response));
}

bool RequestHandler::wait_for_segment(const http::Request& request, const Target& target,
                                      Started started, const http::Respond& respond) const {
  if (send_growing(request, target, started, respond)) return true;
  if (!source_.announces(target.stream_id, target.file)) return false;
  // A preload-hinted part: answered once complete (or 404 if the stream
  // went another way), so the player holds one request instead of polling.
  const auto attempt = [this, &request, target, started, respond](const LiveSource& now) {
    if (now.announces(target.stream_id, target.file)) return false;
    finish(request, live_file(request, target, now), started, respond);
    return true;
  };
  const auto give_up = [this, &request, target, started, respond] {
    finish(request, {not_found(), Route::segment}, started, respond);
  };
  held_.on(request.executor).hold(target.stream_id, started + hold_limit_, attempt, give_up);
  return true;
}

// Low-latency DASH: a segment the live MPD lists while it is being written
// goes out as it grows, with chunked transfer, so the player has each chunk
// the moment it exists. Range and validators are not applied to it: whole
// segments get them once complete.
bool RequestHandler::send_growing(const http::Request& request, const Target& target,
                                  Started started, const http::Respond& respond) const {
  const auto growing = source_.growing(target.stream_id, target.file);
  if (!growing || growing->complete) return false;
  auto body = std::make_shared<GrowingBody>(source_, held_.on(request.executor), target.stream_id,
                                            target.file, hold_limit_);
  Answer result{http::Response(bhttp::status::ok, GrowingBody::body(std::move(body)),
                               content_type(target.file)),
                Route::segment, &target.stream_id};
  // The same bytes as the finished segment: as immutable as it is.
  result.response.headers.set(bhttp::field::cache_control, cache_.for_route(Route::segment));
  finish(request, std::move(result), started, respond);
  return true;
}

// RFC 8216bis section 6.2.5.2: _HLS_msn=M[&_HLS_part=P] waits until the
// playlist lists segment M (or part P of it); too far ahead is a 400, and a
// playlist that does not get there within three target durations a 503.
bool RequestHandler::wait_for_playlist(const http::Request& request, const Target& target,
                                       Started started, const http::Respond& respond) const {
  const auto msn_text = http::query_param(request.query(), "_HLS_msn");
  const auto part_text = http::query_param(request.query(), "_HLS_part");
  if (!msn_text && !part_text) return false;
  const auto edge = source_.playlist_edge(target.stream_id, target.file);
  if (!edge) return false;  // not a live LL-HLS playlist: the usual answer
  const auto msn = decimal(msn_text.value_or(""));
  const auto part = part_text ? decimal(*part_text) : std::nullopt;
  if (!msn || (part_text && (!part || *part > UINT32_MAX)) || *msn > edge->next_msn + 1) {
    finish(request,
           {plain(bhttp::status::bad_request, "Bad Request\n", CachePolicy::kNoStore),
            Route::playlist},
           started, respond);
    return true;
  }
  const auto attempt = [this, &request, target, started, respond, msn = *msn,
                        part](const LiveSource& now) {
    const auto edge = now.playlist_edge(target.stream_id, target.file);
    // A playlist no longer live (the show ended) is answered as it is.
    const bool ready =
        !edge || msn < edge->next_msn || (msn == edge->next_msn && part && *part < edge->next_part);
    if (!ready) return false;
    Answer result = live_file(request, target, now);
    if (result.response.status == bhttp::status::ok)
      result.response.headers.set(bhttp::field::cache_control, cache_.for_blocking_reload());
    finish(request, std::move(result), started, respond);
    return true;
  };
  const auto give_up = [this, &request, started, respond] {
    finish(
        request,
        {plain(bhttp::status::service_unavailable, "Service Unavailable\n", CachePolicy::kNoStore),
         Route::playlist},
        started, respond);
  };
  if (!attempt(source_))
    held_.on(request.executor).hold(target.stream_id, started + hold_limit_, attempt, give_up);
  return true;
}

RequestHandler::Answer RequestHandler::answer(const http::Request& request,
                                              const Target& target) const {
  switch (target.area) {
    case Target::Area::live:
      return live_file(request, target, source_);
    case Target::Area::vods:
    case Target::Area::vod_job:
      return vod_file(request, target);
    case Target::Area::health:
      return {plain(bhttp::status::ok, "ok", CachePolicy::kNoStore), Route::health};
    case Target::Area::time:
      // The packager's MPD points UTCTiming here; a cached time would skew every player.
      return {plain(bhttp::status::ok, wall_clock_text(), CachePolicy::kNoCache), Route::other};
  }
  return {not_found(), Route::other};
}

RequestHandler::Answer RequestHandler::live_file(const http::Request& request, const Target& target,
                                                 const LiveSource& source) const {
  Answer result;
  result.route = live_route(target.file);
  std::optional<Representation> representation;
  std::optional<LiveFile> file;
  const DeltaAsked asked =
      result.route == Route::playlist ? delta_asked(request) : DeltaAsked::none;
  const bool skip_dateranges = asked == DeltaAsked::skip_dateranges_too;
  bool delta = false;
  if (asked != DeltaAsked::none)
    delta = (file = source.find_delta(target.stream_id, target.file, skip_dateranges)).has_value();
  if (!file) file = source.find(target.stream_id, target.file);
  // A live playlist or MPD has two representations, as it is and gzipped.
  const bool negotiated =
      file && (result.route == Route::playlist || result.route == Route::manifest);
  bool gzipped = false;
  if (file) {
    representation.emplace();
    representation->etag = file->etag.empty() ? etag_of(file->bytes) : std::move(file->etag);
    representation->last_modified = file->last_modified;
    if (negotiated && file->bytes.size() >= kMinGzipBytes &&
        http::accepts_coding(request.header(bhttp::field::accept_encoding), "gzip")) {
      const std::string name = target.stream_id + "/" + target.file +
                               (delta ? (skip_dateranges ? "?skip=v2" : "?skip") : "");
      if (core::SharedBytes encoded = gzip_.encoded(name, file->bytes); !encoded.empty()) {
        file->bytes = std::move(encoded);
        // Each representation has its own validator (RFC 9110 section 8.8.3).
        representation->etag.insert(representation->etag.size() - 1, "-gz");
        gzipped = true;
      }
    }
    representation->size = file->bytes.size();
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
  if (negotiated) result.response.headers.set(bhttp::field::vary, "Accept-Encoding");
  // Not on a 416, whose body is the origin's own plain text.
  if (gzipped && result.response.status != bhttp::status::range_not_satisfiable)
    result.response.headers.set(bhttp::field::content_encoding, "gzip");
  return result;
}

RequestHandler::Answer RequestHandler::vod_file(const http::Request& request,
                                                const Target& target) const {
  auto representation = target.area == Target::Area::vod_job
                            ? find_disk_file(vods_dir_, {target.stream_id, target.file})
                            : find_disk_file(vods_dir_, {target.file});
  if (!representation) return {not_found(), Route::vod};
  return {origin::answer(request, *representation, content_type(target.file),
                         cache_.for_route(Route::vod)),
          Route::vod};
}

}  // namespace looplive::origin
