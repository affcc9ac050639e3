// Plays a looplive stream in headless Chromium and records every product tag
// the player surfaces, as an app would read them (docs/tags.md).
//
//   node tags.mjs hls|dash URL SECONDS [START]
//
// START: where to start playing, in seconds on the video's timeline (a replay).
// hls: hls.js; the DATERANGEs of class com.looplive.product in each playlist
// it loads (X-PAYLOAD is the tag's JSON, URL-safe base64) and the emsg boxes'
// ID3 payloads (a TXXX frame "com.looplive.tag") as it parses fragments, each
// acted on as the playhead reaches its start. Each source counts once per tag.
// dash: dash.js; the events of scheme urn:looplive:tag:2026, from the MPD's
// EventStream and the emsg boxes (InbandEventStream), started as the playhead
// reaches them.
//
// Prints one JSON line: {ok, player, errors, playingAt, pdtOffset, tags}.
// playingAt is the Unix ms when playback first advanced. Each tag is {source
// (emsg, daterange, dash), id, productId, action, start (seconds on the
// video's timeline), seenAt (Unix ms when the app acted on it: the playhead
// reached it, or dash.js started the event), seenVideoTime}.
// pdtOffset (hls) is program date time minus video time, in seconds, so a
// tag's programDateTime maps onto the video's timeline.
import { launchBrowser } from './browser.mjs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const [kind, url, secondsArg, startArg] = process.argv.slice(2);
if (!['hls', 'dash'].includes(kind) || !url) {
  console.error('usage: node tags.mjs hls|dash URL SECONDS [START]');
  process.exit(2);
}
const seconds = Number(secondsArg || 20);
const start = startArg === undefined ? null : Number(startArg);
const script = kind === 'hls'
  ? path.join(here, 'node_modules/hls.js/dist/hls.min.js')
  : path.join(here, 'node_modules/dashjs/dist/modern/umd/dash.all.min.js');

const browser = await launchBrowser();
const result = { ok: false, player: kind, errors: [], tags: [] };
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => result.errors.push(`page: ${e.message}`));
  // LL-HLS delta updates that skip older date ranges too (_HLS_skip=v2):
  // then the player must merge the tags it has with those the update lists.
  result.dateRangeDeltas = 0;
  page.on('request', (r) => { if (r.url().includes('_HLS_skip=v2')) result.dateRangeDeltas += 1; });
  await page.setContent('<video id="v" muted autoplay playsinline></video>');
  await page.addScriptTag({ path: script });
  await page.evaluate(({ kind, url, start }) => {
    window.playerErrors = [];
    window.tags = [];
    window.offsets = [];
    window.playingAt = null;
    const video = document.getElementById('v');
    const record = (source, json, start) => {
      const tag = JSON.parse(json);
      window.tags.push({ source, id: tag.id, productId: tag.productId, action: tag.action, start,
                         seenAt: Date.now(), seenVideoTime: video.currentTime });
    };
    video.addEventListener('timeupdate', () => {
      if (window.playingAt === null && video.currentTime > 0) window.playingAt = Date.now();
    });
    if (kind === 'hls') {
      const hls = new Hls(start === null ? {} : { startPosition: start });
      window.hls = hls;
      hls.on(Hls.Events.ERROR, (_, data) => {
        if (data.fatal) window.playerErrors.push(`${data.type}: ${data.details}`);
      });
      const fromBase64url = (text) => {
        const bytes = Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')),
                                      (c) => c.charCodeAt(0));
        return new TextDecoder().decode(bytes);
      };
      // The value of an ID3v2.4 tag's TXXX frame with this description.
      const txxx = (bytes, description) => {
        const size = (at) => (bytes[at] << 21) | (bytes[at + 1] << 14) | (bytes[at + 2] << 7) | bytes[at + 3];
        if (String.fromCharCode(...bytes.subarray(0, 3)) !== 'ID3') return null;
        const end = 10 + size(6);
        for (let at = 10; at + 10 <= end;) {
          const id = String.fromCharCode(...bytes.subarray(at, at + 4));
          const length = size(at + 4);
          const frame = bytes.subarray(at + 10, at + 10 + length);
          if (id === 'TXXX') {
            const zero = frame.indexOf(0, 1);
            const text = new TextDecoder();
            if (text.decode(frame.subarray(1, zero)) === description)
              return text.decode(frame.subarray(zero + 1));
          }
          at += 10 + length;
        }
        return null;
      };
      // hls.js reports DATERANGEs (with their place on the video's timeline)
      // with each playlist and emsg ID3 payloads as it parses fragments; the
      // app shows each tag as the playhead reaches it. (The metadata text
      // track hls.js fills loses the cues it adds while it creates the track,
      // so the events are the reliable source.)
      const pending = new Map();  // source:id -> {source, json, start}
      const done = new Set();
      hls.on(Hls.Events.LEVEL_UPDATED, (_, { details }) => {
        for (const range of Object.values(details.dateRanges || {})) {
          if (range.class !== 'com.looplive.product' || !Number.isFinite(range.startTime)) continue;
          const key = `daterange:${range.id}`;
          // Its start is read when due: hls.js moves it once the fragment it
          // falls in is parsed (a replay's playlist is loaded only once).
          if (!done.has(key))
            pending.set(key, { source: 'daterange', json: fromBase64url(range.attr['X-PAYLOAD']),
                               range });
        }
      });
      hls.on(Hls.Events.FRAG_PARSING_METADATA, (_, { samples }) => {
        for (const sample of samples) {
          const json = txxx(sample.data, 'com.looplive.tag');
          if (json === null) continue;
          const key = `emsg:${JSON.parse(json).id}`;
          if (!done.has(key) && !pending.has(key))
            pending.set(key, { source: 'emsg', json, start: sample.pts });
        }
      });
      setInterval(() => {
        if (video.currentTime <= 0) return;
        for (const [key, item] of pending) {
          const start = item.range ? item.range.startTime : item.start;
          if (!(start <= video.currentTime)) continue;
          pending.delete(key);
          done.add(key);
          record(item.source, item.json, start);
        }
      }, 10);
      hls.loadSource(url);
      hls.attachMedia(video);
      video.play().catch(() => {});
      setInterval(() => {
        if (hls.playingDate && video.currentTime > 0)
          window.offsets.push(hls.playingDate.getTime() / 1000 - video.currentTime);
      }, 250);
    } else {
      const player = dashjs.MediaPlayer().create();
      window.dash = player;
      player.on(dashjs.MediaPlayer.events.ERROR, (e) =>
        window.playerErrors.push(`dash: ${JSON.stringify(e.error || e).slice(0, 200)}`));
      const decode = (data) => typeof data === 'string' ? data : new TextDecoder().decode(data);
      player.on('urn:looplive:tag:2026', (e) => record('dash', decode(e.event.messageData),
                                                       e.event.calculatedPresentationTime),
                null, { mode: dashjs.MediaPlayer.events.EVENT_MODE_ON_START });
      player.initialize(video, start === null ? url : `${url}#t=${start}`, true);
    }
  }, { kind, url, start });

  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const errors = await page.evaluate(() => window.playerErrors);
    if (errors.length) { result.errors.push(...errors); break; }
    await new Promise((r) => setTimeout(r, 250));
  }
  const state = await page.evaluate(() => ({ tags: window.tags, offsets: window.offsets,
                                             playingAt: window.playingAt }));
  result.tags = state.tags;
  result.playingAt = state.playingAt;
  if (state.offsets.length) {
    const sorted = state.offsets.slice().sort((a, b) => a - b);
    result.pdtOffset = sorted[Math.floor(sorted.length / 2)];
  }
  result.ok = result.errors.length === 0 && state.playingAt !== null;
} catch (e) {
  result.errors.push(String(e));
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
