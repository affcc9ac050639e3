// One viewer in headless Chromium: plays a stream with hls.js or dash.js and
// reports, for every frame presented, the frame number burnt into the picture
// and the wall-clock time it was expected on screen (see page.js).
//
//   node g2g.mjs '{"player": "hls-ll"|"hls"|"dash-ll"|"file", "url": ..., "seconds": 60,
//                  "retry": false, "startTimeout": 60, "dashLiveDelay": 4, "fps": 30,
//                  "layout": {...}}'
//
// Prints {"event": "ready"} once the page is waiting on the player (with
// "retry", polling the manifest), then one line {"event": "result", ...} when
// `seconds` of playback have been watched from the first frame, or the start
// timed out. Exits 0 when frames were measured. Uses Debian's
// /usr/bin/chromium (CHROMIUM overrides) through playwright-core from
// tests/player/node_modules, launched as the player tests launch it (tests/player/browser.mjs).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { launchBrowser } from '../../tests/player/browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = path.join(here, '..', '..', 'tests', 'player', 'node_modules');

const cfg = JSON.parse(process.argv[2] || '{}');
if (!cfg.url || !cfg.player || !cfg.layout) {
  console.error('usage: node g2g.mjs \'{"player": "hls-ll", "url": "...", "seconds": 60, "layout": {...}}\'');
  process.exit(2);
}
cfg.fps ??= 30;
cfg.seconds ??= 60;
cfg.startTimeout ??= 60;
cfg.dashLiveDelay ??= 4;
// G2G_CONSOLE=1: the page's console goes to stderr, hls.js's debug log included.
cfg.debug ??= !!process.env.G2G_CONSOLE;
const lib = cfg.player.startsWith('hls') ? path.join(modules, 'hls.js/dist/hls.min.js')
  : cfg.player.startsWith('dash') ? path.join(modules, 'dashjs/dist/modern/umd/dash.all.min.js') : null;

const emit = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const browser = await launchBrowser();
let stopping = false;
const stop = async (code) => {
  if (stopping) return;
  stopping = true;
  await browser.close().catch(() => {});
  process.exit(code);
};
process.on('SIGTERM', () => stop(143));
process.on('SIGINT', () => stop(130));

const result = { event: 'result', player: cfg.player, ok: false, errors: [] };
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 600 } });
  page.on('pageerror', (e) => result.errors.push(`page: ${e.message}`));
  // The player's console and failed requests go to stderr (the viewer's log).
  page.on('console', (m) => {
    if (['error', 'warning'].includes(m.type()) || process.env.G2G_CONSOLE) {
      process.stderr.write(`${new Date().toISOString()} console.${m.type()}: ${m.text().slice(0, 500)}\n`);
    }
  });
  page.on('requestfailed', (r) => process.stderr.write(
    `${new Date().toISOString()} request failed: ${r.url()} ${r.failure()?.errorText}\n`));
  // The page is served at the media server's own origin (by Playwright, not
  // the server), so the player needs no CORS from it: nginx sends none.
  const origin = new URL(cfg.url).origin;
  const pageUrl = `${origin}/__g2g__/index.html`;
  await page.route(pageUrl, (route) => route.fulfill({
    contentType: 'text/html',
    body: '<!doctype html><html><body style="margin:0;background:#000">'
      + `<video id="v" muted ${cfg.player.startsWith('dash') ? '' : 'autoplay'} playsinline `
      + `width="${cfg.layout.width}" height="${cfg.layout.height}"></video>`
      + '</body></html>',
  }));
  await page.goto(pageUrl);
  if (lib) await page.addScriptTag({ path: lib });
  await page.addScriptTag({ path: path.join(here, 'page.js') });
  const openedAt = Date.now();
  await page.evaluate((c) => { window.g2gStart(c); }, cfg);
  emit({ event: 'ready', t: openedAt });

  const startDeadline = Date.now() + cfg.startTimeout * 1000;
  let status = null;
  for (;;) {
    await sleep(250);
    status = await page.evaluate(() => window.g2gStatus());
    if (status.firstFrame !== null && Date.now() - status.firstFrame >= cfg.seconds * 1000) break;
    if (status.firstFrame === null && Date.now() > startDeadline) {
      result.errors.push(`no frame within ${cfg.startTimeout} s`);
      break;
    }
  }
  const g = await page.evaluate(() => {
    const G = window.g2g;
    const v = document.getElementById('v');
    const q = v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality() : {};
    return {
      samples: G.samples, rejects: G.rejects, callbacks: G.callbacks, offset: G.offset,
      stalls: G.stalls, firstFrame: G.firstFrame, errors: G.errors, retries: G.retries,
      playerLatency: G.playerLatency, clockSkew: [Math.min(...G.clockSkew), Math.max(...G.clockSkew)],
      manifestAt: G.manifestAt, openedAt: G.openedAt,
      droppedFrames: q.droppedVideoFrames ?? null, totalFrames: q.totalVideoFrames ?? null,
      videoSize: [v.videoWidth, v.videoHeight], ended: v.ended,
    };
  });
  Object.assign(result, g, { errors: [...result.errors, ...g.errors], pageOpenedAt: openedAt,
                             windowEnd: Date.now() });
  result.ok = g.samples.length > 0;
} catch (e) {
  result.errors.push(String(e));
}
emit(result);
await stop(result.ok ? 0 : 1);
