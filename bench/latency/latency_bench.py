#!/usr/bin/env python3
"""Glass-to-glass latency of looplive, as a viewer in headless Chromium sees it.

Glass-to-glass: from the encoder sending a frame (the publisher's `-re`
clock) to that frame on screen in headless Chromium
(`requestVideoFrameCallback`). ffmpeg publishes a test pattern with the frame
number n burnt into each picture (16 boxes, one per bit, and 16 more with the
complement, as a check); frame n is sent at T0 + n / 30 s. The page
(page.js, driven by g2g.mjs) reads n back from every presented frame and
reports when it was expected on screen; latency = display time - (T0 + n / 30).

T0 is the wall-clock time ffmpeg reads frame 0. It is taken from ffmpeg's
`-progress` reports (ten a second): a report saying N frames were encoded
arrives after frame N-1 was sent, at T0 + (N-1) / 30 or later, so the
smallest (arrival - (N-1) / 30) over the run is T0 to within a few
milliseconds, including ffmpeg's start-up (process start, lavfi set-up, RTMP
handshake and key check) which the spawn time would wrongly count.

Viewers:
  hls-ll   hls.js, lowLatencyMode: true (its defaults otherwise), /live/{id}/index.m3u8
  hls      hls.js, lowLatencyMode: false, same URL
  dash-ll  dash.js 5, /live/{id}/manifest.mpd: as it comes (low-latency DASH, following the MPD's
           ServiceDescription), or with streaming.delay.liveDelay and liveCatchup.enabled (--dash-live-delay)
  ttff     hls.js LL and dash.js (LL-DASH) opened before the show starts: publisher start to first frame
  nginx    reference: nginx-rtmp's plain HLS (hls_fragment 2s) with hls.js (non-LL)

Run through bench/latency/run, which waits for the machine, installs and builds first.
"""

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from rtmp_bench import NginxRtmp, free_port, wait_port  # noqa: E402

LOOPLIVE = ROOT / "build" / "release" / "app" / "looplive"
PLAYER_MODULES = ROOT / "tests" / "player" / "node_modules"
FPS = 30
# Where the frame number is drawn (pixels of the 960x540 picture): row 1 at
# y0 has bit i of n in box i (white = 1), row 2 at y1 its complement, on a black bar.
LAYOUT = {"bits": 16, "pitch": 24, "box": 20, "x0": 8, "y0": 8, "y1": 40,
          "width": 960, "height": 540, "stripW": 8 + 16 * 24 + 8, "stripH": 72}

children = []  # every process this script started, stopped in cleanup()


def ffmpeg_filter():
    L = LAYOUT
    parts = [f"drawbox=x=0:y=0:w={L['stripW']}:h={L['stripH']}:color=black:t=fill"]
    for i in range(L["bits"]):
        x, p = L["x0"] + i * L["pitch"], 1 << i
        parts.append(f"drawbox=x={x}:y={L['y0']}:w={L['box']}:h={L['box']}:color=white:t=fill"
                     f":enable='mod(floor(n/{p}),2)'")
        parts.append(f"drawbox=x={x}:y={L['y1']}:w={L['box']}:h={L['box']}:color=white:t=fill"
                     f":enable='1-mod(floor(n/{p}),2)'")
    return ",".join(parts)


def pct(values, p):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(p * (len(values) - 1) + 0.5))]


class Publisher:
    """ffmpeg publishing the numbered test pattern in real time (-re)."""

    def __init__(self, url, log_path):
        cmd = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "warning", "-nostats",
               "-progress", "pipe:1", "-stats_period", "0.1",
               "-re", "-f", "lavfi", "-i", f"testsrc2=size={LAYOUT['width']}x{LAYOUT['height']}:rate={FPS}",
               "-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
               "-vf", ffmpeg_filter(),
               "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency",
               "-g", str(2 * FPS), "-keyint_min", str(2 * FPS), "-sc_threshold", "0", "-pix_fmt", "yuv420p",
               "-c:a", "aac", "-b:a", "128k", "-f", "flv", url]
        self.log = open(log_path, "w")
        self.t0_candidates = []
        self.frames = 0
        self.spawned = time.time()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log, text=True,
                                     start_new_session=True)
        children.append(self.proc)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            if line.startswith("frame="):
                now = time.time()
                try:
                    frames = int(line.split("=", 1)[1])
                except ValueError:
                    continue
                self.frames = frames
                if frames >= 1:
                    self.t0_candidates.append(now - (frames - 1) / FPS)

    @property
    def t0(self):
        return min(self.t0_candidates) if self.t0_candidates else None

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        stop_process(self.proc, signal.SIGINT, 10)
        self.reader.join(5)
        self.log.close()


def stop_process(proc, sig=signal.SIGTERM, grace=15):
    """Stops one process we started, and its process group when it leads one
    (node's Chromium children)."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig) if os.getpgid(proc.pid) == proc.pid else proc.send_signal(sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL) if os.getpgid(proc.pid) == proc.pid else proc.kill()
        except ProcessLookupError:
            pass
        proc.wait(5)


class Looplive:
    """looplive with its own PostgreSQL cluster, on free loopback ports, with
    conf/looplive.yaml's settings apart from addresses, ports and media_root."""

    def __init__(self, work, part_ms, binary=LOOPLIVE):
        self.work = work
        self.binary = binary
        self.pg_dir = work / "pg"
        self.pg_port, self.rtmp_port = free_port(), free_port()
        self.origin_port, self.api_port = free_port(), free_port()
        self.media = work / "media"
        self.proc = None
        self.pg_started = False
        work.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(ROOT / "scripts" / "pg-cluster"), "start", str(self.pg_dir), str(self.pg_port)],
                       check=True)
        self.pg_started = True
        self.env = dict(os.environ, LOOPLIVE_DATABASE_URL=
                        f"host=127.0.0.1 port={self.pg_port} dbname=looplive user=postgres")
        self.config = work / "looplive.yaml"
        try:
            self.config.write_text(self.render_config(part_ms))
            subprocess.run([str(self.binary), "--check-config", str(self.config)], check=True,
                           capture_output=True, text=True)
        except BaseException:
            self.close()  # no caller holds this object yet to stop its cluster
            raise

    def render_config(self, part_ms):
        ports = {"rtmp": self.rtmp_port, "origin": self.origin_port, "api": self.api_port}
        replaced, section, out = set(), None, []
        for line in (ROOT / "conf" / "looplive.yaml").read_text().splitlines():
            top = re.match(r"^([a-z_]+):\s*(#.*)?$", line)
            if top:
                section = top.group(1)
            m = re.match(r"^(  )([a-z_]+):", line)
            key = m.group(2) if m else None
            new = None
            if section in ports and key == "host":
                new = "127.0.0.1"
            elif section in ports and key == "port":
                new = str(ports[section])
            elif section == "packager" and key == "media_root":
                new = str(self.media)
            elif section == "packager" and key == "part_duration_ms" and part_ms:
                new = str(part_ms)
            elif section == "api" and key == "public_rtmp_url":
                new = f'"rtmp://127.0.0.1:{self.rtmp_port}/live"'
            elif section == "api" and key == "public_playback_url":
                new = f'"http://127.0.0.1:{self.origin_port}"'
            if new is not None:
                line = f"  {key}: {new}"
                replaced.add((section, key))
            out.append(line)
        needed = {(s, k) for s in ports for k in ("host", "port")} | {("packager", "media_root")}
        if part_ms:
            needed.add(("packager", "part_duration_ms"))
        if not needed <= replaced:
            raise RuntimeError(f"conf/looplive.yaml lacks {sorted(needed - replaced)}")
        return "\n".join(out) + "\n"

    def start(self):
        self.log = open(self.work / "looplive.log", "w")
        self.proc = subprocess.Popen([str(self.binary), "--config", str(self.config)], env=self.env,
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        children.append(self.proc)
        wait_port(self.rtmp_port)
        wait_port(self.origin_port)

    def new_stream(self):
        out = subprocess.run([str(self.binary), "--config", str(self.config), "--create-stream"], env=self.env,
                             check=True, capture_output=True, text=True).stdout
        created = json.loads(out)
        return {"id": created["streamId"],
                "rtmp": f"rtmp://127.0.0.1:{self.rtmp_port}/live/{created['streamKey']}",
                "hls": f"http://127.0.0.1:{self.origin_port}/live/{created['streamId']}/index.m3u8",
                "dash": f"http://127.0.0.1:{self.origin_port}/live/{created['streamId']}/manifest.mpd"}

    def close(self):
        stop_process(self.proc, signal.SIGTERM, 30)
        if self.pg_started:
            subprocess.run([str(ROOT / "scripts" / "pg-cluster"), "stop", str(self.pg_dir)])


class Viewer:
    """node g2g.mjs: one headless Chromium playing one stream."""

    def __init__(self, cfg, log_path):
        self.err = open(log_path, "w")
        self.proc = subprocess.Popen(["node", str(HERE / "g2g.mjs"), json.dumps(cfg)], stdout=subprocess.PIPE,
                                     stderr=self.err, text=True, start_new_session=True)
        children.append(self.proc)
        self.lines = []
        self.ready = threading.Event()
        self.done = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                o = json.loads(line)
            except ValueError:
                continue
            self.lines.append(o)
            if o.get("event") == "ready":
                self.ready.set()
        self.ready.set()
        self.done.set()

    def result(self, timeout):
        if not self.done.wait(timeout):
            stop_process(self.proc)
            self.done.wait(10)
        stop_process(self.proc)
        self.err.close()
        for o in self.lines:
            if o.get("event") == "result":
                return o
        return {"ok": False, "errors": ["viewer gave no result (see its log)"], "samples": []}


def summarize(res, t0_s, seconds):
    """Latency figures from one viewer's (n, display time) pairs."""
    t0 = t0_s * 1000
    samples = res.get("samples") or []
    lat = [(disp - (t0 + n * 1000 / FPS)) / 1000 for n, disp, _ in samples]
    window_end = res.get("windowEnd") or 0
    stalls = res.get("stalls") or []
    stalled = sum(((end or window_end) - start) for start, end in stalls) / 1000
    rejects = res.get("rejects") or {}
    first = res.get("firstFrame")
    frames_shown = (samples[-1][0] - samples[0][0] + 1) if samples else 0
    return {
        "ok": bool(samples),
        "median": statistics.median(lat) if lat else None,
        "p95": pct(lat, 0.95),
        "min": min(lat) if lat else None,
        "max": max(lat) if lat else None,
        "first_latency": lat[0] if lat else None,
        "frames": len(samples),
        "frames_span": frames_shown,
        "rejected": sum(rejects.values()),
        "rejects": rejects,
        "stalls": len(stalls),
        "stalled_s": stalled,
        # When each stall began, in seconds after the first frame.
        "stall_at": [round((start - first) / 1000, 2) for start, _ in stalls] if first else [],
        "dropped": res.get("droppedFrames"),
        "player_latency": statistics.median(res["playerLatency"]) if res.get("playerLatency") else None,
        "first_frame_after_open": (first - res["pageOpenedAt"]) / 1000 if first and res.get("pageOpenedAt") else None,
        "first_frame_wall": first / 1000 if first else None,
        "errors": res.get("errors") or [],
        "clock_skew_ms": res.get("clockSkew"),
    }


def join_viewer(name, player, url, rtmp_url, args, work, dash_live_delay=None):
    """A viewer joining a show that has been running for --join-after seconds."""
    print(f"[{name}] publishing, viewer joins after {args.join_after} s, watches {args.seconds} s ...", flush=True)
    pub = Publisher(rtmp_url, work / f"ffmpeg-{name}.log")
    try:
        time.sleep(args.join_after)
        if not pub.alive():
            raise RuntimeError(f"ffmpeg exited early; see {work}/ffmpeg-{name}.log")
        cfg = {"player": player, "url": url, "seconds": args.seconds, "startTimeout": 40, "fps": FPS,
               "dashLiveDelay": dash_live_delay, "layout": LAYOUT}
        viewer = Viewer(cfg, work / f"viewer-{name}.log")
        res = viewer.result(args.seconds + 120)
        publishing = pub.alive()
    finally:
        pub.stop()
    s = summarize(res, pub.t0, args.seconds)
    s["ffmpeg_startup"] = pub.t0 - pub.spawned if pub.t0 else None
    if not publishing:
        s["errors"].append("ffmpeg stopped during the measurement")
    print(f"    {json.dumps({k: v for k, v in s.items() if k != 'rejects'}, default=str)}", flush=True)
    return s


def waiting_viewer(server, args, work, run, player="hls-ll"):
    """A low-latency player (hls.js LL or dash.js as it comes) opened on the URL
    before the show starts: publisher start (ffmpeg spawned) to the first frame on screen."""
    name = f"ttff-{player}-{run}"
    stream = server.new_stream()
    cfg = {"player": player, "url": stream["dash" if player == "dash-ll" else "hls"], "seconds": 3,
           "startTimeout": 60, "retry": True, "dashLiveDelay": 0, "fps": FPS, "layout": LAYOUT}
    viewer = Viewer(cfg, work / f"viewer-{name}.log")
    if not viewer.ready.wait(60):
        raise RuntimeError("the waiting viewer did not start")
    time.sleep(2)  # the viewer is there, getting 404s
    pub = Publisher(stream["rtmp"], work / f"ffmpeg-{name}.log")
    try:
        res = viewer.result(90)
    finally:
        pub.stop()
    s = summarize(res, pub.t0, 3)
    s["ttff"] = s["first_frame_wall"] - pub.spawned if s["first_frame_wall"] else None
    s["ffmpeg_startup"] = pub.t0 - pub.spawned if pub.t0 else None
    print(f"    [{name}] first frame {s['ttff']} s after publisher start, "
          f"latency of that frame {s['first_latency']} s, errors {s['errors'][:3]}", flush=True)
    return s


def fmt(v, unit=" s", digits=2):
    return "n/a" if v is None else f"{v:.{digits}f}{unit}"


def table(rows, ttff, args):
    lines = ["| viewer | g2g median | g2g p95 | g2g min / max | stalls (time stalled) | frames measured (rejected) "
             "| player's own latency figure | first frame after page opened |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for label, s in rows:
        if s is None:
            lines.append(f"| {label} | failed | | | | | | |")
            continue
        lines.append(f"| {label} | {fmt(s['median'])} | {fmt(s['p95'])} | {fmt(s['min'])} / {fmt(s['max'])} "
                     f"| {s['stalls']} ({fmt(s['stalled_s'], ' s', 1)}) | {s['frames']} ({s['rejected']}) "
                     f"| {fmt(s['player_latency'])} | {fmt(s['first_frame_after_open'])} |")
    if ttff:
        lines.append("")
        lines.append("| viewer waiting before the show | time to first frame from publisher start, median "
                     "| each run | g2g latency of the first frame, median |")
        lines.append("| --- | --- | --- | --- |")
        for player, runs in ttff.items():
            vals = [s["ttff"] for s in runs if s and s.get("ttff") is not None]
            firsts = [s["first_latency"] for s in runs if s and s.get("first_latency") is not None]
            label = "dash.js (LL-DASH)" if player == "dash-ll" else "hls.js LL"
            lines.append(f"| {label} ({len(vals)}/{len(runs)} runs played) | "
                         f"{fmt(statistics.median(vals) if vals else None)} | "
                         f"{', '.join(fmt(v) for v in vals) or 'n/a'} | "
                         f"{fmt(statistics.median(firsts) if firsts else None)} |")
    return "\n".join(lines)


def versions():
    def pkg(name):
        try:
            return json.loads((PLAYER_MODULES / name / "package.json").read_text())["version"]
        except (OSError, ValueError, KeyError):
            return "?"
    try:
        chromium = subprocess.run([os.environ.get("CHROMIUM", "/usr/bin/chromium"), "--version"],
                                  capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        chromium = "?"
    ffmpeg = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.split("\n")[0]
    return f"{chromium}; hls.js {pkg('hls.js')}; dash.js {pkg('dashjs')}; playwright-core {pkg('playwright-core')}; {ffmpeg}"


def machine():
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = round(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30)
    return f"{model}, {os.cpu_count()} cores, {mem} GiB, {platform.system()} {platform.release()}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="playback window per viewer (default 60)")
    parser.add_argument("--join-after", type=float, default=10, help="show age when a viewer joins (default 10 s)")
    parser.add_argument("--ttff-runs", type=int, default=3, help="runs of the viewer waiting before the show")
    parser.add_argument("--dash-live-delay", default="mpd,4",
                        help="dash.js streaming.delay.liveDelay in seconds, or mpd for dash.js's defaults, which "
                             "follow the MPD's ServiceDescription; a comma-separated list gives a row each "
                             "(default mpd,4)")
    parser.add_argument("--part-ms", type=int, default=0,
                        help="packager.part_duration_ms for looplive (default: conf/looplive.yaml's)")
    parser.add_argument("--viewers", default="hls-ll,hls,dash-ll,ttff,nginx",
                        help="which to run, of hls-ll,hls,dash-ll,ttff,nginx")
    parser.add_argument("--no-nginx", action="store_true", help="leave out the nginx-rtmp reference row")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    args = parser.parse_args()
    wanted = set(args.viewers.split(",")) - ({"nginx"} if args.no_nginx else set())
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))

    work = Path(tempfile.mkdtemp(prefix="looplive-g2g-"))
    os.chmod(work, 0o755)
    print(f"work directory: {work}", flush=True)
    rows, ttff = [], None
    server = nginx = None
    t_start = time.time()
    try:
        server = Looplive(work / "looplive", args.part_ms)
        server.start()
        # "mpd": dash.js as it comes, following the MPD's ServiceDescription (low-latency DASH).
        delays = [0.0 if d == "mpd" else float(d) for d in args.dash_live_delay.split(",") if d]
        dash_rows = [("dash-ll", "dash.js defaults (LL-DASH: the MPD's target latency)" if d == 0 else
                      f"dash.js, liveDelay {d:g} s + liveCatchup", "dash-ll", "dash", d) for d in delays]
        for name, label, player, kind, delay in (
                [("hls-ll", "hls.js, lowLatencyMode: true (LL-HLS)", "hls-ll", "hls", None),
                 ("hls", "hls.js, lowLatencyMode: false", "hls", "hls", None)] + dash_rows):
            if name not in wanted:
                continue
            stream = server.new_stream()
            try:
                rows.append((label, join_viewer(f"{name}{delay if delay is not None else ''}", player, stream[kind], stream["rtmp"], args,
                                                work, delay)))
            except Exception as e:  # one viewer failing leaves the others' figures
                print(f"    [{name}] failed: {e}", flush=True)
                rows.append((label, None))
        if "ttff" in wanted:
            ttff = {}
            for player in ("hls-ll", "dash-ll"):
                print(f"[ttff] {player} waiting before the show, {args.ttff_runs} runs ...", flush=True)
                ttff[player] = []
                for run in range(args.ttff_runs):
                    try:
                        ttff[player].append(waiting_viewer(server, args, work, run, player))
                    except Exception as e:
                        print(f"    [ttff-{player}-{run}] failed: {e}", flush=True)
                        ttff[player].append(None)
        if "nginx" in wanted:
            if Path("/usr/lib/nginx/modules/ngx_rtmp_module.so").exists() and shutil.which("nginx"):
                nginx = NginxRtmp(work / "nginx", None, None)
                nginx.start()
                key = "sk_g2g_reference"
                label = "reference: nginx-rtmp HLS (hls_fragment 2s), hls.js non-LL"
                try:
                    rows.append((label, join_viewer("nginx", "hls", f"http://127.0.0.1:{nginx.http_port}/hls/{key}.m3u8",
                                                    nginx.url(key), args, work)))
                except Exception as e:
                    print(f"    [nginx] failed: {e}", flush=True)
                    rows.append((label, None))
            else:
                print("[nginx] nginx with libnginx-mod-rtmp is not installed: no reference row", flush=True)
    finally:
        for proc in children:
            if proc is not (server.proc if server else None):
                stop_process(proc)
        if nginx:
            nginx.close()
        if server:
            server.close()

    out = table(rows, ttff, args)
    print()
    print(out)
    startups = [s["ffmpeg_startup"] for _, s in rows if s and s.get("ffmpeg_startup") is not None]
    rejects = {}
    for _, s in rows:
        for k, v in ((s or {}).get("rejects") or {}).items():
            rejects[k] = rejects.get(k, 0) + v
    part = args.part_ms or "conf/looplive.yaml's (333)"
    notes = (f"- Playback window {args.seconds} s from each viewer's first frame; the viewer joins a show "
             f"{args.join_after:g} s old (a fresh stream and publisher per row). 960x540 at {FPS} fps, "
             f"x264 veryfast zerolatency, 2 s GOP, AAC; looplive `packager.part_duration_ms`: {part}.\n"
             f"- T0 (ffmpeg reads frame 0) from ffmpeg's `-progress` reports; ffmpeg's start-up before that "
             f"(not counted) took {fmt(statistics.median(startups) if startups else None)} (median).\n"
             f"- Rejected frame reads, all rows: {rejects or 'none'} (weak: a box neither black nor white; "
             f"check: complement row mismatch; order: n not increasing; offset: n disagrees with media time).\n"
             f"- Stalls: the video's 'waiting' events after its first frame.\n"
             f"- Player's own latency figure: hls.js `latency` / dash.js `getCurrentLiveLatency()`, median.\n")
    cmd = "bench/latency/run " + " ".join(sys.argv[1:])
    (HERE / "RESULTS.md").write_text(
        f"# Glass-to-glass latency\n\nMachine: {machine()}.\n"
        f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(t_start))}.\n"
        f"Software: {versions()}.\n\nCommand: `{cmd.strip()}`\n\n{out}\n\n{notes}")
    print(f"\nwritten to {HERE / 'RESULTS.md'}")
    if args.keep:
        print(f"work directory kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    if not any(s for _, s in rows) and not any(any(runs) for runs in (ttff or {}).values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
