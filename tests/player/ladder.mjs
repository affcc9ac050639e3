// Plays a looplive stream with an adaptive ladder in headless Chromium while
// the page's bandwidth is throttled (DevTools network emulation), and records
// which rung the player shows and whether playback ever stalls.
//
//   node ladder.mjs hls|dash|hls-ll|dash-ll URL FREE_SECONDS THROTTLED_SECONDS KBITS
//                   [RECOVERED_SECONDS] [START] [--until-up]
//
// FREE_SECONDS of playback at full speed, then THROTTLED_SECONDS at KBITS
// kbit/s, then RECOVERED_SECONDS (FREE_SECONDS unless given) at full speed
// again. FREE_SECONDS 0: throttled from the player's first request (a replay
// player otherwise fills half a minute of buffer at loopback speed before any
// throttle). START: where a replay starts. --until-up: RECOVERED_SECONDS at
// most; the run ends two seconds after the player shows a taller picture than
// the smallest it showed since the throttle began (players show a switch only
// once their buffer plays out, so the smallest may come after the throttle).
// hls: hls.js with lowLatencyMode off (it keeps three segments of buffer at
// the live edge); dash: dash.js 10 s behind the live edge. hls-ll and dash-ll:
// their defaults, which follow LL-HLS and the MPD's low-latency target: about
// a second of buffer, too little to ride out a sudden drop in bandwidth.
//
// Prints one JSON line: {ok, player, errors, heights: [{at, height, phase}],
// stalls: [{at, ms, phase}], phases: {throttled, recovered}, playedSeconds}.
// `phases` says when each phase began; `heights` lists the picture
// height each time it changed on screen (the video element's videoHeight),
// `at` in seconds since playback started; a stall is a `waiting` event after
// playback started, lasting `ms` until the next `playing`.
import { launchBrowser } from './browser.mjs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const untilUp = process.argv.includes('--until-up');
const [kind, url, freeArg, throttledArg, kbitsArg, recoveredArg, startArg] =
  process.argv.slice(2).filter((a) => a !== '--until-up');
if (!['hls', 'dash', 'hls-ll', 'dash-ll'].includes(kind) || !url || !kbitsArg) {
  console.error('usage: node ladder.mjs hls|dash|hls-ll|dash-ll URL FREE_SECONDS THROTTLED_SECONDS KBITS [RECOVERED_SECONDS] [START] [--until-up]');
  process.exit(2);
}
const free = Number(freeArg);
const throttled = Number(throttledArg);
const kbits = Number(kbitsArg);
const recovered = recoveredArg === undefined ? free : Number(recoveredArg);
const start = startArg === undefined ? null : Number(startArg);
const script = kind.startsWith('hls')
  ? path.join(here, 'node_modules/hls.js/dist/hls.min.js')
  : path.join(here, 'node_modules/dashjs/dist/modern/umd/dash.all.min.js');

const browser = await launchBrowser();
const result = { ok: false, player: kind, errors: [], heights: [], stalls: [] };
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => result.errors.push(`page: ${e.message}`));
  const devtools = await page.context().newCDPSession(page);
  await devtools.send('Network.enable');
  const bytesPerSecond = (kbits * 1000) / 8;
  const throttle = () => devtools.send('Network.emulateNetworkConditions', {
    offline: false, latency: 20, downloadThroughput: bytesPerSecond, uploadThroughput: bytesPerSecond });
  if (free === 0) await throttle();
  await page.setContent('<video id="v" muted autoplay playsinline></video>');
  await page.addScriptTag({ path: script });
  await page.evaluate(({ kind, url, start, free }) => {
    window.playerErrors = [];
    window.phase = free === 0 ? 'throttled' : 'free';
    window.heights = [];
    window.stalls = [];
    window.startedAt = null;
    const video = document.getElementById('v');
    const since = () => (performance.now() - window.startedAt) / 1000;
    window.since = since;
    window.phases = {};
    let waitingSince = null;
    video.addEventListener('playing', () => {
      if (window.startedAt === null) window.startedAt = performance.now();
      if (waitingSince !== null) {
        window.stalls.push({ at: since(), ms: performance.now() - waitingSince, phase: window.phase });
        waitingSince = null;
      }
    });
    video.addEventListener('waiting', () => {
      if (window.startedAt !== null && waitingSince === null) waitingSince = performance.now();
    });
    let shown = 0;
    let smallestSinceThrottle = null;
    window.backUpAt = null;
    setInterval(() => {
      if (window.startedAt === null || video.videoHeight === shown) return;
      shown = video.videoHeight;
      window.heights.push({ at: since(), height: shown, phase: window.phase });
      if (window.phase === 'free') return;
      if (smallestSinceThrottle === null || shown < smallestSinceThrottle) smallestSinceThrottle = shown;
      if (window.phase === 'recovered' && shown > smallestSinceThrottle && window.backUpAt === null)
        window.backUpAt = since();
    }, 50);
    if (kind.startsWith('hls')) {
      const options = kind === 'hls' ? { lowLatencyMode: false } : {};
      if (start !== null) options.startPosition = start;
      const hls = new Hls(options);
      hls.on(Hls.Events.ERROR, (_, data) => {
        if (data.fatal) window.playerErrors.push(`${data.type}: ${data.details}`);
      });
      hls.loadSource(url);
      hls.attachMedia(video);
      video.play().catch(() => {});
    } else {
      const player = dashjs.MediaPlayer().create();
      if (kind === 'dash')
        player.updateSettings({ streaming: { delay: { liveDelay: 10 }, liveCatchup: { enabled: false } } });
      player.on(dashjs.MediaPlayer.events.ERROR, (e) =>
        window.playerErrors.push(`dash: ${JSON.stringify(e.error || e).slice(0, 200)}`));
      player.initialize(video, start === null ? url : `${url}#t=${start}`, true);
    }
  }, { kind, url, start, free });

  // Waits the given seconds, or until `done` (checked in the page) says so.
  const wait = async (seconds, done = () => false) => {
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline) {
      const errors = await page.evaluate(() => window.playerErrors);
      if (errors.length) throw new Error(errors.join('; '));
      if (await page.evaluate(done)) return;
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const started = Date.now();
  while (!(await page.evaluate(() => window.startedAt !== null))) {
    if (Date.now() - started > 30000) throw new Error('playback never started');
    await wait(0.25);
  }
  await wait(free);
  await throttle();
  await page.evaluate(() => { window.phase = 'throttled'; window.phases.throttled = window.since(); });
  await wait(throttled);
  await devtools.send('Network.emulateNetworkConditions', {
    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await page.evaluate(() => { window.phase = 'recovered'; window.phases.recovered = window.since(); });
  if (untilUp) {
    await wait(recovered, () => window.backUpAt !== null);
    await wait(2);
  } else {
    await wait(recovered);
  }
  const state = await page.evaluate(() => ({
    heights: window.heights, stalls: window.stalls, phases: window.phases,
    played: document.getElementById('v').currentTime }));
  result.heights = state.heights;
  result.stalls = state.stalls;
  result.phases = state.phases;
  result.playedSeconds = state.played;
  result.ok = true;
} catch (e) {
  result.errors.push(String(e));
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
