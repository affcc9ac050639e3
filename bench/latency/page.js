// Runs inside the headless Chromium page (added by g2g.mjs after hls.js or
// dash.js). Starts the player and reads the frame number that ffmpeg burnt
// into each picture, on every frame the compositor presents
// (requestVideoFrameCallback), with the wall-clock time it is expected on
// screen. The latency itself is computed by latency_bench.py, which knows
// when ffmpeg sent frame n; this page only reports (n, display time) pairs.
//
// The picture carries n twice (see ffmpeg_filter in latency_bench.py): row 1
// has bit i of n in box i (white = 1), row 2 has its complement. A frame is
// kept only when every box is clearly black or white, row 2 is exactly the
// complement of row 1, n is larger than the last kept n, and n agrees with
// the frame's media time (n - 30 * mediaTime stays the same all session).
// Anything else is counted as a rejected frame, never used.
/* global Hls, dashjs */
(() => {
  const G = {
    samples: [],          // [n, expected display time (ms since epoch), mediaTime]
    rejects: { weak: 0, check: 0, order: 0, offset: 0, size: 0 },
    callbacks: 0,
    offsets: [],          // n - round(mediaTime * fps) of the first kept frames
    offset: null,
    stalls: [],           // [start ms, end ms or null] of 'waiting' after the first frame
    playing: false,
    firstFrame: null,     // wall ms of the first presented frame (decoded or not)
    errors: [],
    retries: 0,
    playerLatency: [],    // what the player itself says it is behind the live edge, s
    clockSkew: [],        // Date.now() - (timeOrigin + performance.now()), ms
    manifestAt: null,
    openedAt: Date.now(),
  };
  window.g2g = G;

  let cfg = null;
  let canvas = null;
  let ctx = null;
  let lastN = -1;

  function lumaAt(data, stride, cx, cy) {
    // Mean luma of a 6x6 square around the box centre.
    let sum = 0;
    for (let y = cy - 3; y < cy + 3; y++) {
      for (let x = cx - 3; x < cx + 3; x++) {
        const i = (y * stride + x) * 4;
        sum += 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
      }
    }
    return sum / 36;
  }

  // Returns n, or a string naming why the frame is rejected.
  function decode(video) {
    const L = cfg.layout;
    if (video.videoWidth !== L.width || video.videoHeight !== L.height) return 'size';
    ctx.drawImage(video, 0, 0, L.stripW, L.stripH, 0, 0, L.stripW, L.stripH);
    const data = ctx.getImageData(0, 0, L.stripW, L.stripH).data;
    let n = 0;
    let inv = 0;
    for (let i = 0; i < L.bits; i++) {
      const cx = L.x0 + i * L.pitch + (L.box >> 1);
      const a = lumaAt(data, L.stripW, cx, L.y0 + (L.box >> 1));
      const b = lumaAt(data, L.stripW, cx, L.y1 + (L.box >> 1));
      if (Math.abs(a - 128) < 64 || Math.abs(b - 128) < 64) return 'weak';
      if (a > 128) n += 2 ** i;
      if (b > 128) inv += 2 ** i;
    }
    if (n + inv !== 2 ** L.bits - 1) return 'check';
    return n;
  }

  function onFrame(now, md) {
    const video = document.getElementById('v');
    video.requestVideoFrameCallback(onFrame);
    G.callbacks++;
    const display = performance.timeOrigin + md.expectedDisplayTime;
    if (G.firstFrame === null) G.firstFrame = display;
    const n = decode(video);
    if (typeof n === 'string') { G.rejects[n]++; return; }
    if (n <= lastN) { G.rejects.order++; return; }
    const k = n - Math.round(md.mediaTime * cfg.fps);
    if (G.offset === null) {
      // The offset is settled by the first three kept frames agreeing.
      G.offsets.push(k);
      if (G.offsets.length >= 3) {
        const last = G.offsets.slice(-3);
        if (Math.max(...last) - Math.min(...last) <= 1) G.offset = last[1];
      }
    } else if (Math.abs(k - G.offset) > 1) {
      G.rejects.offset++;
      return;
    }
    lastN = n;
    G.samples.push([n, display, md.mediaTime]);
  }

  function startPlayer() {
    const video = document.getElementById('v');
    const url = cfg.url;
    if (cfg.player === 'hls-ll' || cfg.player === 'hls') {
      const hls = new Hls({ lowLatencyMode: cfg.player === 'hls-ll', debug: !!cfg.debug });
      window.player = hls;
      hls.on(Hls.Events.MANIFEST_LOADED, () => { if (G.manifestAt === null) G.manifestAt = Date.now(); });
      hls.on(Hls.Events.ERROR, (_, data) => {
        if (!data.fatal) return;
        G.errors.push(`${data.type}: ${data.details}`);
        // Waiting for a show that has not started: the manifest answers 404
        // until it lists something, so start over until it does.
        if (cfg.retry && !G.playing) {
          G.retries++;
          hls.destroy();
          setTimeout(startPlayer, 200);
        }
      });
      hls.loadSource(url);
      hls.attachMedia(video);
    } else if (cfg.player === 'dash-ll') {
      const player = dashjs.MediaPlayer().create();
      window.player = player;
      // A liveDelay of 0: dash.js's defaults, which follow the MPD's ServiceDescription.
      if (cfg.dashSettings || cfg.dashLiveDelay) {
        player.updateSettings(cfg.dashSettings || {
          streaming: {
            delay: { liveDelay: cfg.dashLiveDelay },
            liveCatchup: { enabled: true },
          },
        });
      }
      window.dashLog = [];
      player.on(dashjs.MediaPlayer.events.PLAYBACK_WAITING, () => window.dashLog.push(['waiting', Date.now()]));
      player.on(dashjs.MediaPlayer.events.MANIFEST_LOADED, () => { if (G.manifestAt === null) G.manifestAt = Date.now(); });
      player.on(dashjs.MediaPlayer.events.ERROR, (e) =>
        G.errors.push(`dash: ${JSON.stringify(e.error || e).slice(0, 200)}`));
      // dash.js starts playback itself (autoplay) and must see the element's
      // 'play' event: only then (PLAYBACK_STARTED) does it start refreshing
      // the MPD. A play() of our own would fire it before dash.js listens, and
      // playback would stop when the first MPD's segments run out.
      player.initialize(video, url, true);
      return;
    } else {
      video.src = url;  // a plain file: development of the decoder
    }
    video.play().catch(() => {});
  }

  function sampleLatency() {
    const p = window.player;
    let v = null;
    try {
      if (p && typeof p.latency === 'number') v = p.latency;                    // hls.js
      else if (p && p.getCurrentLiveLatency) v = p.getCurrentLiveLatency();     // dash.js
    } catch (e) { /* not ready */ }
    if (G.playing && typeof v === 'number' && Number.isFinite(v) && v > 0) G.playerLatency.push(v);
    G.clockSkew.push(Date.now() - (performance.timeOrigin + performance.now()));
  }

  window.g2gStart = async (config) => {
    cfg = config;
    const L = cfg.layout;
    canvas = document.createElement('canvas');
    canvas.width = L.stripW;
    canvas.height = L.stripH;
    ctx = canvas.getContext('2d', { willReadFrequently: true });
    const video = document.getElementById('v');
    video.addEventListener('playing', () => {
      const open = G.stalls.length ? G.stalls[G.stalls.length - 1] : null;
      if (open && open[1] === null) open[1] = Date.now();
    });
    video.addEventListener('waiting', () => {
      // A stall is 'waiting' once playback has shown its first frame.
      if (G.playing) G.stalls.push([Date.now(), null]);
    });
    video.requestVideoFrameCallback((now, md) => { G.playing = true; onFrame(now, md); });
    setInterval(sampleLatency, 500);
    if (cfg.retry) {
      // The viewer is there before the show: ask for the manifest until it
      // answers, then start the player (which restarts itself on a fatal error).
      for (;;) {
        try {
          const r = await fetch(cfg.url, { cache: 'no-store' });
          if (r.ok) break;
        } catch (e) { /* not up yet */ }
        G.retries++;
        await new Promise((res) => setTimeout(res, 100));
      }
    }
    startPlayer();
  };

  window.g2gStatus = () => ({
    playing: G.playing, firstFrame: G.firstFrame, kept: G.samples.length, callbacks: G.callbacks,
    rejects: G.rejects, errors: G.errors.slice(0, 20), stalls: G.stalls.length,
  });
})();
