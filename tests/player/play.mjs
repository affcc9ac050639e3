// Plays a looplive stream in headless Chromium with a real web player and
// reports whether playback advanced.
//
//   node play.mjs hls|hls-ll|dash URL [SECONDS]
//
// Loads hls.js (hls; hls-ll with lowLatencyMode, its LL-HLS client) or dash.js
// (dash) into a blank page, attaches it to a muted <video>, and watches
// currentTime for up to SECONDS (default 20). Prints one JSON line {ok, player,
// startTime, currentTime, advanced, latency, lowLatency, deltaRequests,
// growingSegments, errors} and exits 0 when playback advanced by at least 6 s
// with no fatal player error, else 1. latency is how far behind the live edge
// the player says it plays, in seconds; lowLatency whether it plays in its
// low-latency mode; growingSegments how many segments came chunked (fetched
// while still being written, low-latency DASH).
import { launchBrowser } from './browser.mjs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const [kind, url, secondsArg] = process.argv.slice(2);
if (!['hls', 'hls-ll', 'dash'].includes(kind) || !url) {
  console.error('usage: node play.mjs hls|hls-ll|dash URL [SECONDS]');
  process.exit(2);
}
const seconds = Number(secondsArg || 20);
// Longer than one MPD refresh or playlist reload (2 s segments), so a player
// that plays what it first loaded and then stalls does not pass.
const kMinAdvance = 6;
const script = kind.startsWith('hls')
  ? path.join(here, 'node_modules/hls.js/dist/hls.min.js')
  : path.join(here, 'node_modules/dashjs/dist/modern/umd/dash.all.min.js');

// The flags keep Chromium off the network it cannot reach here.
const browser = await launchBrowser();
let result = { ok: false, player: kind, errors: [] };
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => result.errors.push(`page: ${e.message}`));
  // LL-HLS playlist delta updates the player asked for (_HLS_skip).
  result.deltaRequests = 0;
  page.on('request', (r) => { if (r.url().includes('_HLS_skip=')) result.deltaRequests += 1; });
  // Low-latency DASH: segments fetched while still being written come chunked.
  result.growingSegments = 0;
  page.on('response', (r) => {
    if (r.url().includes('.m4s') && r.headers()['transfer-encoding'] === 'chunked') result.growingSegments += 1;
  });
  await page.setContent('<video id="v" muted autoplay playsinline></video>');
  await page.addScriptTag({ path: script });
  await page.evaluate(({ kind, url }) => {
    window.playerErrors = [];
    const video = document.getElementById('v');
    if (kind.startsWith('hls')) {
      const hls = new Hls({ lowLatencyMode: kind === 'hls-ll' });
      window.hls = hls;
      hls.on(Hls.Events.ERROR, (_, data) => {
        if (data.fatal) window.playerErrors.push(`${data.type}: ${data.details}`);
      });
      hls.loadSource(url);
      hls.attachMedia(video);
      video.play().catch(() => {});
    } else {
      // dash.js starts playback itself (autoplay): it refreshes a live MPD
      // only after the play event it caused, and a page that plays first
      // gets one MPD's worth of segments, then a stall.
      const player = dashjs.MediaPlayer().create();
      window.dash = player;
      player.on(dashjs.MediaPlayer.events.ERROR, (e) =>
        window.playerErrors.push(`dash: ${JSON.stringify(e.error || e).slice(0, 200)}`));
      player.initialize(video, url, true);
    }
  }, { kind, url });

  const deadline = Date.now() + seconds * 1000;
  let start = null;
  let current = 0;
  while (Date.now() < deadline) {
    current = await page.evaluate(() => document.getElementById('v').currentTime);
    if (start === null && current > 0) start = current;
    const errors = await page.evaluate(() => window.playerErrors);
    if (errors.length) { result.errors.push(...errors); break; }
    if (start !== null && current - start >= kMinAdvance) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  result.startTime = start;
  result.currentTime = current;
  result.advanced = start === null ? 0 : current - start;
  result.latency = await page.evaluate(() => (window.hls ? window.hls.latency
    : window.dash ? window.dash.getCurrentLiveLatency() : null));
  // dash.js turns its low-latency mode on by itself for an MPD that says
  // availabilityTimeComplete="false".
  result.lowLatency = await page.evaluate(() => (window.hls ? window.hls.lowLatencyMode
    : window.dash ? window.dash.getLowLatencyModeEnabled() : null));
  result.ok = result.advanced >= kMinAdvance && result.errors.length === 0;
} catch (e) {
  result.errors.push(String(e));
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
