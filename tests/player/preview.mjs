// Opens looplive's preview page (GET /watch/{id} on the control API) in
// headless Chromium as an operator would, and reports what it showed.
//
//   node preview.mjs API_BASE STREAM_ID TOKEN [SECONDS]
//
// The page loads hls.js from a CDN; every request off 127.0.0.1 is answered
// here instead (this machine has no network): hls.min.js from this folder's
// node_modules, byte for byte, so the page's integrity digest must match it,
// anything else refused and reported. Each visit gets a fresh browser context
// (its own sessionStorage):
//   - #token=TOKEN: for up to SECONDS (default 45), until the video advanced
//     6 s with frames decoded, the figures showed a bitrate above 0 that the
//     API answered, and a warning check was listed;
//   - #token=<a wrong one>: the page says "Token refused" and shows its form;
//   - no token: the form, and no API request;
//   - a stream id no stream has: "No such stream";
//   - hls.js with one byte more: the browser does not run it.
// Prints one JSON line and exits 0 when every visit went as described, else 1.
import { launchBrowser } from './browser.mjs';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const [base, streamId, token, secondsArg] = process.argv.slice(2);
if (!base || !streamId || !token) {
  console.error('usage: node preview.mjs API_BASE STREAM_ID TOKEN [SECONDS]');
  process.exit(2);
}
const seconds = Number(secondsArg || 45);
// Longer than a playlist reload (2 s segments): a player that plays what it
// first loaded and then stalls does not pass.
const kMinAdvance = 6;
const hlsJs = readFileSync(path.join(here, 'node_modules/hls.js/dist/hls.min.js'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const browser = await launchBrowser();
const result = { ok: false, errors: [], offline: [], hlsJsRequests: [], cspViolations: [],
                 tokenInUrls: 0 };

// A page in a fresh context, with hls.js served as `script`; `watch` sees
// the page before it loads.
async function open(url, { script = hlsJs, watch = () => {} } = {}) {
  const context = await browser.newContext();
  await context.route((u) => u.hostname !== '127.0.0.1', (route) => {
    const target = route.request().url();
    if (!new URL(target).pathname.endsWith('/hls.min.js')) {
      result.offline.push(target);
      return route.abort();
    }
    result.hlsJsRequests.push(target);
    // jsDelivr's headers; crossorigin="anonymous" needs the CORS one.
    return route.fulfill({ status: 200, body: script, headers: {
      'Content-Type': 'application/javascript; charset=utf-8',
      'Access-Control-Allow-Origin': '*' } });
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => result.errors.push(`page: ${e.message}`));
  page.on('request', (r) => { if (r.url().includes(token)) result.tokenInUrls += 1; });
  await page.addInitScript(() => {
    window.violations = [];
    document.addEventListener('securitypolicyviolation',
      (e) => window.violations.push(`${e.effectiveDirective} ${e.blockedURI}`));
  });
  watch(page);
  await page.goto(url);
  return { context, page };
}

const watchUrl = (id) => `${base}/watch/${id}`;
const text = (page, selector) =>
  page.evaluate((s) => document.querySelector(s)?.textContent ?? '', selector);
const formShown = (page) => page.evaluate(() => !document.getElementById('login').hidden);
async function waitForNotice(page, words) {
  try {
    await page.waitForFunction((w) => document.getElementById('notice').textContent.includes(w),
                               words, { timeout: 10000 });
    return true;
  } catch {
    return false;
  }
}

try {
  // The stream as the page shows it, beside what the API answered the page.
  {
    const apiBitrates = new Set();
    const { context, page } = await open(`${watchUrl(streamId)}#token=${token}`, {
      watch: (p) => p.on('response', async (r) => {
        if (new URL(r.url()).pathname !== `/v1/streams/${streamId}` || r.status() !== 200) return;
        try { apiBitrates.add((await r.json()).ingest?.bitrateKbps); } catch { /* page left */ }
      }),
    });
    result.fragmentRemoved = await page.evaluate(() => location.hash === '');
    const deadline = Date.now() + seconds * 1000;
    let start = null;
    for (;;) {
      const state = await page.evaluate(() => {
        const video = document.getElementById('video');
        return {
          currentTime: video.currentTime,
          frames: video.getVideoPlaybackQuality().totalVideoFrames,
          // hls.js feeds the element through a Media Source; a native player gets the URL.
          engine: video.src.startsWith('blob:') ? 'hls.js' : video.src ? 'native' : null,
          warnings: [...document.querySelectorAll('#checks li.warning')]
            .map((li) => ({ id: li.dataset.check, text: li.textContent })),
        };
      });
      const shown = await text(page, '[data-field=bitrate]');
      if (start === null && state.currentTime > 0) start = state.currentTime;
      Object.assign(result, state, {
        advanced: start === null ? 0 : state.currentTime - start,
        bitrateShown: shown,
        bitrateFromApi: parseInt(shown, 10) > 0 && apiBitrates.has(parseInt(shown, 10)),
      });
      const done = result.advanced >= kMinAdvance && result.frames > 0 &&
                   result.bitrateFromApi && result.warnings.length > 0;
      if (done || Date.now() > deadline || result.errors.length) break;
      await sleep(250);
    }
    result.notice = await text(page, '#notice');
    result.playerNote = await text(page, '#player');
    result.cspViolations.push(...await page.evaluate(() => window.violations));
    await context.close();
  }
  // A token the API does not accept.
  {
    const { context, page } = await open(`${watchUrl(streamId)}#token=wrong-token-0123456789`);
    result.refused = await waitForNotice(page, 'Token refused') && await formShown(page);
    await context.close();
  }
  // No token at all: the page asks before it calls the API.
  {
    let apiCalls = 0;
    const { context, page } = await open(watchUrl(streamId), {
      watch: (p) => p.on('request', (r) => { if (r.url().includes('/v1/')) apiCalls += 1; }),
    });
    await sleep(1000);
    result.asked = await formShown(page) && apiCalls === 0;
    await context.close();
  }
  // An id no stream has.
  {
    const { context, page } = await open(`${watchUrl(randomUUID())}#token=${token}`);
    result.noSuchStream = await waitForNotice(page, 'No such stream');
    await context.close();
  }
  // Other bytes under the same URL: Subresource Integrity keeps them from running.
  {
    const tampered = Buffer.concat([hlsJs, Buffer.from('\n')]);
    const { context, page } = await open(`${watchUrl(streamId)}#token=${token}`,
                                         { script: tampered });
    await page.waitForLoadState('load');
    result.tamperedRefused = await page.evaluate(() => typeof window.Hls === 'undefined');
    await context.close();
  }
  result.ok = result.advanced >= kMinAdvance && result.frames > 0 && result.engine === 'hls.js' &&
              result.bitrateFromApi && result.warnings.length > 0 && result.fragmentRemoved &&
              result.refused && result.asked && result.noSuchStream && result.tamperedRefused &&
              result.hlsJsRequests.length > 0 && result.offline.length === 0 &&
              result.cspViolations.length === 0 && result.tokenInUrls === 0 &&
              result.errors.length === 0;
} catch (e) {
  result.errors.push(String(e));
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
