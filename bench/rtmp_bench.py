#!/usr/bin/env python3
"""looplive against nginx-rtmp on the same machine, doing the same job.

Both servers ingest RTMP, write HLS with 2 s fragments and DASH, record every
stream, and check the stream key on publish (looplive against its PostgreSQL;
nginx-rtmp through an on_publish hook answered by looplive's control API when it
is there, so both ask the same key store). Load comes from tools/rtmp_loadgen
(N publishers in one process, paced in real time). Prints a Markdown table and
writes it to bench/RESULTS.md.

Run through bench/run, which installs and builds first.
"""

import argparse
import datetime
import json
import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "release"
LOOPLIVE = BUILD / "app" / "looplive"
LOADGEN = BUILD / "tools" / "rtmp_loadgen"
PUBLISH = BUILD / "tools" / "rtmp_publish"
ACCEPT = BUILD / "tools" / "rtmp_accept_latency"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def make_fixture(path, size, rate, bitrate, seconds):
    if path.exists():
        return
    run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
         "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high",
         "-bf", "2", "-g", str(rate * 2), "-keyint_min", str(rate * 2), "-sc_threshold", "0",
         "-b:v", bitrate, "-maxrate", bitrate, "-bufsize", bitrate, "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-f", "flv", str(path)])


def process_tree(pid):
    """pid and all its descendants (nginx master and workers)."""
    pids, frontier = [pid], [pid]
    while frontier:
        parent = frontier.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            children = []
        for child in map(int, children):
            pids.append(child)
            frontier.append(child)
    return pids


MIN_STREAM_MINUTES = 2


def cpu_seconds(pid):
    """CPU time of pid and its descendants, those that have exited too:
    PostgreSQL's autovacuum workers come and go, and a worker alive at one
    reading and gone at the next would otherwise take its whole life's CPU
    out of the difference."""
    total = 0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            # utime, stime, and cutime, cstime: the children it has reaped
            total += sum(int(field) for field in fields[11:15])
        except OSError:
            pass
    return total / CLK_TCK


def memory_bytes(pid):
    """Resident memory of the process tree, plus the anonymous in-memory files
    it holds open (looplive keeps each live segment in one, and their pages
    count in no process's resident set unless mapped and touched)."""
    total = 0
    for p in process_tree(pid):
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE
        except OSError:
            pass
        seen = set()
        try:
            fds = list(Path(f"/proc/{p}/fd").iterdir())
        except OSError:
            fds = []
        for fd in fds:
            try:
                if not os.readlink(fd).startswith("/memfd:"):
                    continue
                info = fd.stat()
            except OSError:
                continue
            if info.st_ino not in seen:
                seen.add(info.st_ino)
                total += info.st_blocks * 512
    return total


class BenchServer:
    """What both servers share: an RTMP port, a child process, a way to stop it."""
    stop_signal = signal.SIGTERM
    proc = None
    rtmp_port = 0

    def url(self, key):
        return f"rtmp://127.0.0.1:{self.rtmp_port}/live/{key}"

    def wait_streams_ended(self, deadline):
        """Until the streams of earlier steps have nothing left to finish."""

    def stop(self):
        if self.proc:
            self.proc.send_signal(self.stop_signal)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None


class Looplive(BenchServer):
    name = "looplive"

    def __init__(self, work):
        self.work = work
        self.pg_dir = work / "pg"
        self.pg_port = free_port()
        self.rtmp_port = free_port()
        self.api_port = free_port()
        self.origin_port = free_port()
        self.media = work / "media"
        subprocess.run([str(ROOT / "scripts" / "pg-cluster"), "start", str(self.pg_dir), str(self.pg_port)],
                       check=True)
        self.env = dict(os.environ, LOOPLIVE_DATABASE_URL=
                        f"host=127.0.0.1 port={self.pg_port} dbname=looplive user=postgres",
                        LOOPLIVE_API_TOKENS="bench-token-0123456789")
        self.config = work / "looplive.yaml"
        self.config.write_text(self.render_config())
        self.proc = None
        self.keys = {}
        self.ended = set()

    def render_config(self):
        text = f"""
log: {{level: warn}}
rtmp: {{host: 127.0.0.1, port: {self.rtmp_port}, max_connections_per_address: 100000}}
packager: {{media_root: {self.media}, segment_duration_ms: 2000}}
"""
        # Sections that exist only once the control API and origin are wired in.
        probe = subprocess.run([str(LOOPLIVE), "--check-config", "/dev/stdin"], input=
                               f"api: {{host: 127.0.0.1, port: {self.api_port}}}\n", text=True,
                               capture_output=True)
        if probe.returncode == 0:
            text += f"api: {{host: 127.0.0.1, port: {self.api_port}}}\n"
            self.has_api = True
        else:
            self.has_api = False
        probe = subprocess.run([str(LOOPLIVE), "--check-config", "/dev/stdin"], input=
                               f"origin: {{host: 127.0.0.1, port: {self.origin_port}}}\n", text=True,
                               capture_output=True)
        if probe.returncode == 0:
            text += f"origin: {{host: 127.0.0.1, port: {self.origin_port}}}\n"
        return text

    def create_streams(self, count):
        out = []
        for _ in range(count):
            created = json.loads(run([str(LOOPLIVE), "--config", str(self.config), "--create-stream", "--record"],
                                     env=self.env).stdout)
            self.keys[created["streamKey"]] = created["streamId"]
            out.append(created["streamKey"])
        return out

    def start(self):
        self.log = open(self.work / "looplive.log", "w")
        self.proc = subprocess.Popen([str(LOOPLIVE), "--config", str(self.config)], env=self.env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait_port(self.rtmp_port)

    def wait_streams_ended(self, deadline):
        """A stream whose publisher left stays `reconnecting` for the reconnect
        window, then ends and its recording is finalised (the VOD MP4 is
        written). That work belongs to the step that streamed, not the next one,
        and it starts after a quiet spell that the CPU check alone takes for idle."""
        if not self.has_api:
            return
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.api_port, timeout=10)
        headers = {"Authorization": "Bearer bench-token-0123456789"}
        waiting = set(self.keys.values()) - self.ended
        while waiting and time.monotonic() < deadline:
            for stream_id in sorted(waiting):
                conn.request("GET", f"/v1/streams/{stream_id}", headers=headers)
                answer = conn.getresponse()
                body = json.loads(answer.read() or b"{}")
                if answer.status != 200 or body.get("status") not in ("live", "reconnecting"):
                    waiting.discard(stream_id)
                    self.ended.add(stream_id)
            if waiting:
                time.sleep(0.5)
        conn.close()

    # Viewers and CDNs get the live playlist from looplive's origin, which
    # serves it from memory (it is not written to disk unless asked for).
    def playlist_text(self, key):
        url = f"http://127.0.0.1:{self.origin_port}/live/{self.keys[key]}/video.m3u8"
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                return answer.read().decode()
        except OSError:
            return ""

    def playlist_age(self, key):
        """Seconds since the media end of the newest listed segment, on the
        wall clock its PROGRAM-DATE-TIME gives: grows when packaging falls behind."""
        text = self.playlist_text(key)
        dates = re.findall(r"#EXT-X-PROGRAM-DATE-TIME:(\S+)", text)
        durations = re.findall(r"#EXTINF:([0-9.]+)", text)
        if not dates or not durations:
            return math.inf
        start = datetime.datetime.fromisoformat(dates[-1].replace("Z", "+00:00")).timestamp()
        return time.time() - start - float(durations[-1])

    def close(self):
        self.stop()
        subprocess.run([str(ROOT / "scripts" / "pg-cluster"), "stop", str(self.pg_dir)])


class NginxRtmp(BenchServer):
    name = "nginx-rtmp"
    stop_signal = signal.SIGQUIT  # graceful: nginx-rtmp finishes its recordings

    def __init__(self, work, hook_url, key_source):
        self.work = work
        self.key_source = key_source if hook_url else None
        self.created = 0
        self.rtmp_port = free_port()
        self.http_port = free_port()
        for d in ("hls", "dash", "rec", "logs"):
            (work / d).mkdir(parents=True, exist_ok=True)
        hook = f"on_publish {hook_url};" if hook_url else ""
        (work / "nginx.conf").write_text(f"""
load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
user root;
worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/logs/error.log warn;
events {{ worker_connections 20000; }}
rtmp {{
  server {{
    listen 127.0.0.1:{self.rtmp_port};
    chunk_size 4096;
    application live {{
      live on;
      {hook}
      hls on; hls_path {work}/hls; hls_fragment 2s; hls_playlist_length 12s;
      dash on; dash_path {work}/dash; dash_fragment 2s; dash_playlist_length 12s;
      record all; record_path {work}/rec; record_unique on;
    }}
  }}
}}
http {{
  access_log off;
  server {{ listen 127.0.0.1:{self.http_port}; location / {{ root {work}; }} }}
}}
""")
        self.proc = None

    def create_streams(self, count):
        # With the hook, nginx-rtmp admits only keys that looplive's key store knows.
        if self.key_source is not None:
            return self.key_source.create_streams(count)
        self.created += count
        return [f"sk_bench{i:05d}" for i in range(self.created - count, self.created)]

    def start(self):
        self.log = open(self.work / "logs" / "stdout.log", "w")
        self.proc = subprocess.Popen(["nginx", "-p", str(self.work), "-c", str(self.work / "nginx.conf")],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait_port(self.rtmp_port)

    # nginx-rtmp's only output is the file its http server would serve.
    def playlist_text(self, key):
        try:
            return (self.work / "hls" / f"{key}.m3u8").read_text()
        except OSError:
            return ""

    def playlist_age(self, key):
        try:
            return time.time() - (self.work / "hls" / f"{key}.m3u8").stat().st_mtime
        except OSError:
            return math.inf

    def close(self):
        self.stop()


def port_open(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_port(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listening on port {port}")


def segments(playlist_text):
    return [float(d) for d in re.findall(r"#EXTINF:([0-9.]+)", playlist_text)]


def settle(server, limit=90):
    """Waits until the server is idle again: streams of the previous step end
    (looplive waits out the reconnect window, then finalises recordings), so
    they do not count against the next step's CPU and memory."""
    deadline = time.monotonic() + limit
    time.sleep(2)
    server.wait_streams_ended(deadline)
    while time.monotonic() < deadline:
        before = cpu_seconds(server.proc.pid)
        time.sleep(1)
        if cpu_seconds(server.proc.pid) - before < 0.02:
            return
    print(f"    [{server.name}] still busy after {limit} s", flush=True)


def load_step(server, fixture, publishers, seconds, work):
    """CPU and memory while `publishers` stream for `seconds`; True if all kept up."""
    keys = server.create_streams(publishers)
    settle(server)
    keyfile = work / f"keys-{server.name}-{publishers}.txt"
    keyfile.write_text("\n".join(keys) + "\n")
    memory_idle = memory_bytes(server.proc.pid)
    warmup = 6 + publishers * 0.02
    # A step with few publishers uses little CPU: measure at least two
    # stream-minutes, or one publisher would count a tenth of a CPU-second in
    # 0.01 s ticks and the figure would be mostly rounding.
    seconds = max(seconds, math.ceil(MIN_STREAM_MINUTES * 60 / publishers + warmup + 3))
    loadgen = subprocess.Popen([str(LOADGEN), "--publishers", str(publishers), "--seconds", str(seconds),
                                "--url-template", server.url("{key}"), "--keys", str(keyfile),
                                "--stagger-ms", "20", str(fixture)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(warmup)
    cpu_start, t_start = cpu_seconds(server.proc.pid), time.monotonic()
    time.sleep(max(1.0, seconds - warmup - 3))
    cpu_end, t_end = cpu_seconds(server.proc.pid), time.monotonic()
    memory_loaded = memory_bytes(server.proc.pid)
    # Real time: every stream's playlist is at most 5 s (a segment and a half) behind.
    fresh = sum(server.playlist_age(key) < 5.0 for key in keys)
    out, _ = loadgen.communicate(timeout=seconds + 120)
    stalls = sum(int(m) for m in re.findall(r"stalls=(\d+)", out))
    minutes = (t_end - t_start) / 60 * publishers
    return {
        "cpu_per_stream_minute": (cpu_end - cpu_start) / minutes,
        "memory_per_stream_mb": max(0, memory_loaded - memory_idle) / publishers / 2**20,
        "memory_total_mb": memory_loaded / 2**20,
        "fresh": fresh,
        "ok": fresh >= publishers * 0.95 and loadgen.returncode == 0,
        "loadgen_exit": loadgen.returncode,
        "stalls": stalls,
    }


def first_playlist_and_edge(server, fixture, runs, work):
    """Seconds from publish start to a playlist listing a segment (median of
    `runs`), and how long after its media end each segment gets listed."""
    firsts, delays = [], []
    for _ in range(runs):
        key = server.create_streams(1)[0]
        started = time.time()
        pub = subprocess.Popen([str(PUBLISH), server.url(key), str(fixture)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        seen = 0
        first = None
        while pub.poll() is None and time.time() - started < 30:
            durations = segments(server.playlist_text(key))
            now = time.time()
            if len(durations) > seen:
                if first is None:
                    first = now - started
                for i in range(seen, len(durations)):
                    media_end = started + sum(durations[: i + 1])
                    delays.append(now - media_end)
                seen = len(durations)
                if seen >= 4:  # enough for both figures; no need to publish the whole file
                    break
            time.sleep(0.01)
        pub.terminate()
        pub.wait(30)
        if first is not None:
            firsts.append(first)
    return firsts, delays


def accept_latency(server, count):
    key = server.create_streams(1)[0]
    out = subprocess.run([str(ACCEPT), "--count", str(count), server.url(key)], capture_output=True,
                         text=True, timeout=600).stdout
    match = re.search(r"p50=([0-9.]+) p90=([0-9.]+) p99=([0-9.]+)", out)
    return (float(match.group(1)), float(match.group(3))) if match else (None, None)


def api_latency(server, rate=200, seconds=10):
    """p50/p95 of GET /v1/streams/{id} sent at a steady `rate` per second over
    keep-alive connections (one per sender thread), as the backend would."""
    import http.client
    import threading
    key = server.create_streams(1)[0]
    path = f"/v1/streams/{server.keys[key]}"
    headers = {"Authorization": "Bearer bench-token-0123456789"}
    latencies, lock = [], threading.Lock()
    senders, total = 8, rate * seconds
    start = time.monotonic()

    def sender(index):
        conn = http.client.HTTPConnection("127.0.0.1", server.api_port, timeout=10)
        for n in range(index, total, senders):
            due = start + n / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            t0 = time.monotonic()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            with lock:
                latencies.append((time.monotonic() - t0) * 1000 if response.status == 200 else None)

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = [v for v in latencies if v is not None]
    return pct(ok, 0.5), pct(ok, 0.95), len(latencies) - len(ok)


def pct(values, p):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(p * (len(values) - 1) + 0.5))]


def fmt(value, unit="", digits=2):
    return "n/a" if value is None else f"{value:.{digits}f}{unit}"


def ratio(a, b):
    return "n/a" if a is None or b in (None, 0) else f"{a / b:.2f}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", default="1,10,50,100")
    parser.add_argument("--seconds", type=int, default=40)
    parser.add_argument("--first-runs", type=int, default=10)
    parser.add_argument("--accepts", type=int, default=1000)
    parser.add_argument("--max-search", default="150,200")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, media)")
    args = parser.parse_args()
    steps = [int(s) for s in args.steps.split(",")]
    # Killed or interrupted, still stop the servers and the database (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    work = Path(tempfile.mkdtemp(prefix="looplive-bench-"))
    os.chmod(work, 0o755)
    fixtures = work / "fixtures"
    fixtures.mkdir()
    f720 = fixtures / "720p30.flv"
    f1080 = fixtures / "1080p60.flv"
    print("making fixtures ...", flush=True)
    make_fixture(f720, "1280x720", 30, "2500k", 20)
    make_fixture(f1080, "1920x1080", 60, "6000k", 10)

    results = {}
    looplive = Looplive(work / "looplive")
    servers = [looplive]
    try:
        looplive.start()
        hook = (f"http://127.0.0.1:{looplive.api_port}/v1/hooks/validate-key"
                if looplive.has_api and port_open(looplive.api_port) else None)
        servers.append(NginxRtmp(work / "nginx", hook, looplive))
        servers[1].start()  # looplive keeps answering nginx-rtmp's on_publish hook
        for server in servers:
            r = results[server.name] = {}
            print(f"[{server.name}] first playlist and live edge ...", flush=True)
            firsts, delays = first_playlist_and_edge(server, f720, args.first_runs, work)
            r["first_playlist"] = statistics.median(firsts) if firsts else None
            r["edge_p50"], r["edge_p95"] = pct(delays, 0.5), pct(delays, 0.95)
            print(f"[{server.name}] accept latency over {args.accepts} publishes ...", flush=True)
            r["accept_p50"], r["accept_p99"] = accept_latency(server, args.accepts)
            if server is looplive and hook:
                print("[looplive] control API latency at 200 requests/s ...", flush=True)
                r["api_p50"], r["api_p95"], r["api_failed"] = api_latency(server)

        # The servers take turns, step by step, so that a change in the
        # machine's speed during the run weighs on both alike. Each step starts
        # once both are idle: neither measures the other's leftovers.
        def measure(server, name, fixture, publishers, seconds):
            for other in servers:
                if other is not server:
                    settle(other)
            print(f"[{server.name}] {name} ...", flush=True)
            step = results[server.name][name] = load_step(server, fixture, publishers, seconds, work)
            print(f"    {step}", flush=True)
            return step

        for server in servers:
            measure(server, "load_1080", f1080, 1, 20)
        max_ok = {server.name: 0 for server in servers}
        searching = list(servers)
        for n in steps + [int(s) for s in args.max_search.split(",") if s]:
            for server in list(searching):
                if n not in steps and max_ok[server.name] < steps[-1]:
                    searching.remove(server)
                    continue
                step = measure(server, f"load_{n}", f720, n, args.seconds)
                if step["ok"]:
                    max_ok[server.name] = n
                elif n not in steps:
                    searching.remove(server)
        for server in servers:
            results[server.name]["max_ok"] = max_ok[server.name]
    finally:
        for server in reversed(servers):
            server.close()

    write_results(results, steps, args)
    if args.keep:
        print(f"work directory kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


def write_results(results, steps, args):
    a, b = results.get("looplive", {}), results.get("nginx-rtmp", {})
    rows = [("time to first playable playlist (median of %d)" % args.first_runs, "first_playlist", " s"),
            ("live-edge delay p50", "edge_p50", " s"), ("live-edge delay p95", "edge_p95", " s"),
            ("publish accepted, p50 (key check included)", "accept_p50", " ms"),
            ("publish accepted, p99", "accept_p99", " ms"),
            ("control API GET /v1/streams/{id} at 200 req/s, p50", "api_p50", " ms"),
            ("control API GET /v1/streams/{id} at 200 req/s, p95", "api_p95", " ms")]
    lines = ["| measure | looplive | nginx-rtmp | looplive / nginx-rtmp |", "| --- | --- | --- | --- |"]
    for label, key, unit in rows:
        lines.append(f"| {label} | {fmt(a.get(key), unit)} | {fmt(b.get(key), unit)} | "
                     f"{ratio(a.get(key), b.get(key))} |")
    for n in steps:
        la, lb = a.get(f"load_{n}", {}), b.get(f"load_{n}", {})
        lines.append(f"| CPU s per stream-minute, {n} x 720p30 | {fmt(la.get('cpu_per_stream_minute'), '', 3)} | "
                     f"{fmt(lb.get('cpu_per_stream_minute'), '', 3)} | "
                     f"{ratio(la.get('cpu_per_stream_minute'), lb.get('cpu_per_stream_minute'))} |")
        lines.append(f"| memory per stream (resident + in-memory files), {n} x 720p30 | {fmt(la.get('memory_per_stream_mb'), ' MiB')} | "
                     f"{fmt(lb.get('memory_per_stream_mb'), ' MiB')} | "
                     f"{ratio(la.get('memory_per_stream_mb'), lb.get('memory_per_stream_mb'))} |")
        lines.append(f"| streams in real time, {n} x 720p30 | {la.get('fresh', 'n/a')}/{n} | "
                     f"{lb.get('fresh', 'n/a')}/{n} | |")
    la, lb = a.get("load_1080", {}), b.get("load_1080", {})
    lines.append(f"| CPU s per stream-minute, 1 x 1080p60 | {fmt(la.get('cpu_per_stream_minute'), '', 3)} | "
                 f"{fmt(lb.get('cpu_per_stream_minute'), '', 3)} | "
                 f"{ratio(la.get('cpu_per_stream_minute'), lb.get('cpu_per_stream_minute'))} |")
    lines.append(f"| most publishers kept in real time (tried {args.steps},{args.max_search}) | "
                 f"{a.get('max_ok', 'n/a')} | {b.get('max_ok', 'n/a')} | |")
    table = "\n".join(lines)
    print(table)
    machine = f"{os.cpu_count()} cores, {round(os.sysconf('SC_PHYS_PAGES') * PAGE / 2**30)} GiB"
    header = (f"# Benchmark results\n\nMachine: {machine}, {os.uname().sysname} {os.uname().release}. "
              f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.\n\n"
              f"Command: `bench/run {' '.join(sys.argv[1:])}`\n\n")
    (ROOT / "bench" / "RESULTS.md").write_text(header + table + "\n")


if __name__ == "__main__":
    main()
