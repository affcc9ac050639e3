// GET /watch/{id}: a page that plays a stream with hls.js beside its ingest
// figures and encoder health, for a seller or an operator without ffplay.
//
// The page holds no data and needs no token, as a browser cannot send a
// bearer header when it navigates. Its script reads the token from the URL
// fragment (#token=..., which browsers never send, so it stays out of every
// access log) or asks for it, keeps it in sessionStorage and polls the API
// with it like any client. The policy lets the page run only its own inline
// script and style (by hash) and hls.js from its configured origin, and talk
// only to the API and the playback origin.
#include "preview_page.hpp"

#include <openssl/evp.h>

#include <stdexcept>

#include <boost/beast/http/field.hpp>

#include "context.hpp"
#include "request_body.hpp"
#include "router.hpp"

namespace looplive::control_api {

namespace {

constexpr std::string_view kStyle = R"css(
body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem;color:#1b1b1b}
video{display:block;width:100%;aspect-ratio:16/9;background:#000}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}
dd{margin:0}
#notice,#level{font-weight:600}
.ok{color:#1a7f37}
.warning{color:#b42318}
.info,.idle{color:#555}
)css";

// Everything the API answers is written with textContent: an encoder's name
// or a stream's metadata can never become markup.
constexpr std::string_view kScript = R"js(
'use strict';
const $ = (id) => document.getElementById(id);
const streamId = decodeURIComponent(location.pathname.split('/').pop());
const video = $('video');
const kTokenKey = 'looplive-api-token';
const kStatus = {
  ready: 'Waiting for the encoder: nothing has been published with this stream key yet.',
  live: 'Live.',
  reconnecting: 'The encoder dropped; waiting for it to come back.',
  ended: 'The stream has ended.',
};
let token = null;
let round = 0;  // a newer poll, or a new token, makes older answers moot
let timer = null;
let player = null;
let source = null;

function say(element, text, level) {
  element.textContent = text;
  element.className = level || '';
}

function ask(text, level) {
  ++round;
  clearTimeout(timer);
  token = null;
  sessionStorage.removeItem(kTokenKey);
  stop();
  say($('notice'), text, level);
  $('login').hidden = false;
  $('token').focus();
}

function watch(value) {
  token = value;
  sessionStorage.setItem(kTokenKey, value);
  $('login').hidden = true;
  poll();
}

// Relative, so the page works wherever a proxy mounts the API.
function get(path) {
  const url = new URL('../v1/streams/' + encodeURIComponent(streamId) + path, location.href);
  return fetch(url, { headers: { Authorization: 'Bearer ' + token }, cache: 'no-store' });
}

async function poll() {
  clearTimeout(timer);
  const mine = ++round;
  try {
    const [stream, health] = await Promise.all([get(''), get('/health')]);
    if (mine !== round) return;
    if (stream.status === 401)
      return ask('Token refused: the API does not accept this token. Enter another.', 'warning');
    if (stream.status === 404) {
      show(null, null);
      say($('notice'), 'No such stream: ' + streamId, 'warning');
    } else if (!stream.ok) {
      say($('notice'), 'The API answered ' + stream.status + '; trying again.', 'warning');
    } else {
      show(await stream.json(), health.ok ? await health.json() : null);
    }
  } catch (error) {
    if (mine !== round) return;
    say($('notice'), 'The API cannot be reached (' + error.message + '); trying again.', 'warning');
  }
  timer = setTimeout(poll, 2000);
}

function row(field, label, value) {
  const term = document.createElement('dt');
  term.textContent = label;
  const text = document.createElement('dd');
  text.dataset.field = field;
  text.textContent = value;
  $('figures').append(term, text);
}

function show(stream, health) {
  $('figures').replaceChildren();
  $('checks').replaceChildren();
  say($('level'), '');
  if (!stream) return play(null);
  say($('notice'), kStatus[stream.status] || stream.status, stream.status === 'live' ? 'ok' : '');
  row('status', 'Status', stream.status);
  const ingest = stream.ingest;
  if (ingest) {
    row('connected', 'Encoder connected', ingest.connected ? 'yes' : 'no');
    if (ingest.encoder) row('encoder', 'Encoder', ingest.encoder);
    row('bitrate', 'Bitrate', ingest.bitrateKbps + ' kbit/s');
    const v = ingest.video;
    if (v) row('video', 'Video', `${v.codec} ${v.width}×${v.height} at ${v.frameRate} fps, ` +
                                 `${v.bitrateKbps} kbit/s`);
    const a = ingest.audio;
    if (a) row('audio', 'Audio', `${a.codec} ${a.sampleRate} Hz, ${a.channels} channels, ` +
                                 `${a.bitrateKbps} kbit/s`);
    row('bytes', 'Received', (ingest.bytes / 1e6).toFixed(1) + ' MB');
    row('dropped', 'Dropped frames', String(ingest.droppedFrames));
  }
  row('viewers', 'Viewers now', String(stream.viewers.current));
  if (health) {
    say($('level'), health.level, health.level);
    for (const check of health.checks) {
      const item = document.createElement('li');
      item.className = check.level;
      item.dataset.check = check.id;
      item.textContent = check.level + ': ' + check.message + (check.fix ? ' Fix: ' + check.fix : '');
      $('checks').append(item);
    }
  }
  play(stream.status === 'ended' ? stream.vodUrl : stream.status === 'ready' ? null : stream.hlsUrl);
}

// hls.js first where it runs (Media Source Extensions): it plays LL-HLS and
// says why it failed. Safari on an iPhone without it plays HLS natively.
function play(url) {
  if (url === source) return;
  stop();
  if (!url) return;
  source = url;
  if (window.Hls && Hls.isSupported()) {
    player = new Hls();
    player.on(Hls.Events.ERROR, (event, data) => {
      if (!data.fatal) return;
      say($('player'), 'The player stopped (' + data.details + '); retrying.', 'warning');
      stop();  // the next poll starts it again
    });
    player.loadSource(url);
    player.attachMedia(video);
  } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
    video.src = url;
  } else {
    return say($('player'), 'The player (hls.js) could not be loaded.', 'warning');
  }
  video.play().catch(() => {});
}

function stop() {
  if (player) player.destroy();
  player = null;
  source = null;
  if (video.hasAttribute('src')) {
    video.removeAttribute('src');
    video.load();
  }
}

video.addEventListener('playing', () => say($('player'), ''));
$('login').addEventListener('submit', (event) => {
  event.preventDefault();
  watch($('token').value.trim());
});
$('stream').textContent = streamId;
const fromLink = new URLSearchParams(location.hash.slice(1)).get('token');
// Out of the address bar, so it is neither passed on with the link nor kept in history.
if (fromLink) history.replaceState(null, '', location.pathname + location.search);
const kept = fromLink || sessionStorage.getItem(kTokenKey);
if (kept) watch(kept);
else ask('Enter an API token to watch this stream.');
)js";

constexpr std::string_view kBody = R"html(<body>
<h1>Preview of stream <code id="stream"></code></h1>
<p id="notice" role="status"></p>
<form id="login" hidden>
<label for="token">API token</label>
<input id="token" type="password" autocomplete="off" required>
<button>Watch</button>
</form>
<video id="video" muted autoplay playsinline controls></video>
<p id="player" role="status"></p>
<h2>Ingest</h2>
<dl id="figures"></dl>
<h2>Encoder health <span id="level"></span></h2>
<ul id="checks"></ul>
)html";

// 'sha256-<base64>' of an inline script or style, as a policy allows it.
std::string csp_hash(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed");
  std::string encoded(4 * ((length + 2) / 3) + 1, '\0');
  encoded.resize(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()), digest,
                                 static_cast<int>(length)));
  return "'sha256-" + encoded + "'";
}

// The configured values are checked at start-up; escaping keeps the page
// well-formed whatever a URL's query holds.
std::string attribute(std::string_view text) {
  std::string out;
  for (char c : text) out += c == '&' ? "&amp;" : c == '"' ? "&quot;" : std::string(1, c);
  return out;
}

std::string sources(std::initializer_list<std::string_view> items) {
  std::string out;
  for (auto item : items)
    if (!item.empty()) out += std::string(" ") + std::string(item);
  return out;
}

std::string policy(const ApiConfig& api) {
  static const std::string script_hash = csp_hash(kScript);
  static const std::string style_hash = csp_hash(kStyle);
  const std::string player = url_origin(api.preview_hls_js_url);
  const std::string playback = url_origin(api.public_playback_url);
  // hls.js demuxes in a worker it starts from a blob: URL and feeds the
  // video element through a blob: Media Source.
  return "default-src 'none'; script-src" + sources({script_hash, player}) + "; style-src" +
         sources({style_hash}) + "; connect-src" + sources({"'self'", playback}) + "; media-src" +
         sources({"blob:", playback}) +
         "; worker-src blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
}

std::string page(const ApiConfig& api) {
  std::string html =
      "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>looplive preview</title>\n<style>";
  html += kStyle;
  html += "</style>\n</head>\n";
  html += kBody;
  html += "<script src=\"" + attribute(api.preview_hls_js_url) + "\"";
  if (!api.preview_hls_js_integrity.empty())
    html += " integrity=\"" + attribute(api.preview_hls_js_integrity) + "\"";
  html += " crossorigin=\"anonymous\"></script>\n<script>";
  html += kScript;
  html += "</script>\n</body>\n</html>\n";
  return html;
}

void watch_page(Context& context, const http::Request&, const Params& params,
                http::Respond respond) {
  require_stream_id(params.id);
  const ApiConfig& api = context.settings.api;
  http::Response response(bhttp::status::ok, page(api), "text/html; charset=utf-8");
  response.headers.set(bhttp::field::cache_control, "no-store");
  response.headers.set("Content-Security-Policy", policy(api));
  response.headers.set("X-Content-Type-Options", "nosniff");
  response.headers.set("Referrer-Policy", "no-referrer");
  respond(std::move(response));
}

bool in(char c, std::string_view set) {
  return set.find(c) != std::string_view::npos;
}

}  // namespace

std::string url_origin(std::string_view url) {
  constexpr std::string_view kHostCharacters =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]";
  for (std::string_view scheme : {"http://", "https://"}) {
    if (!url.starts_with(scheme)) continue;
    const auto end = url.find_first_of("/?#", scheme.size());
    const auto authority = url.substr(scheme.size(), end - scheme.size());
    if (authority.empty() || authority.front() == ':' || authority.back() == ':' ||
        authority.find_first_not_of(kHostCharacters) != std::string_view::npos)
      return {};
    return std::string(url.substr(0, end));
  }
  return {};
}

bool is_script_url(std::string_view url) {
  if (url_origin(url).empty()) return false;
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f ||
        in(c, "\"'<>\\`"))
      return false;
  return true;
}

bool is_integrity(std::string_view text) {
  constexpr std::string_view kBase64 =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/";
  while (!text.empty()) {
    const auto space = text.find(' ');
    std::string_view item = text.substr(0, space);
    text = space == std::string_view::npos ? std::string_view{} : text.substr(space + 1);
    if (item.empty()) continue;
    if (!item.starts_with("sha256-") && !item.starts_with("sha384-") &&
        !item.starts_with("sha512-"))
      return false;
    item.remove_prefix(7);
    while (item.ends_with('=')) item.remove_suffix(1);
    if (item.empty() || item.find_first_not_of(kBase64) != std::string_view::npos) return false;
  }
  return true;
}

void add_preview_routes(Router& router) {
  router.add(bhttp::verb::get, "/watch/{id}", Access::open, watch_page);
}

}  // namespace looplive::control_api
