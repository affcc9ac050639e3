#!/usr/bin/env python3
"""Soak: N streams published for a long time with viewers polling, and the
server's memory measured every minute. A server that leaks grows; one that
does not levels off once its live windows are full.

Publishers come from tools/rtmp_loadgen (real-time pacing, the fixture looped);
each stream has one viewer thread that fetches video.m3u8 and the newest
segment it lists every 2 s, and the multivariant playlist and MPD every 10 s,
from looplive's origin. Memory is the resident set plus the in-memory segment
files the server holds (bench/rtmp_bench.py's memory_bytes). Ingest cannot be
compressed in time; a shorter segment duration (--segment-ms) turns the live
windows over faster.

Prints a table (one row a minute) and the growth from the end of the warm-up
(--warmup-minutes, default 10, or half the run when it is shorter) to the end,
and writes bench/SOAK.md. Run through bench/soak/run.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rtmp_bench as rb  # noqa: E402


class SoakLooplive(rb.Looplive):
    """looplive as rtmp_bench runs it, recording or not, with the segment
    duration of the soak."""

    def __init__(self, work, record, segment_ms):
        self.record = record
        self.segment_ms = segment_ms
        super().__init__(work)

    def render_config(self):
        text = super().render_config()
        return text.replace("segment_duration_ms: 2000", f"segment_duration_ms: {self.segment_ms}")

    def create_streams(self, count):
        out = []
        for _ in range(count):
            command = [str(rb.LOOPLIVE), "--config", str(self.config), "--create-stream"]
            if self.record:
                command.append("--record")
            created = json.loads(rb.run(command, env=self.env).stdout)
            self.keys[created["streamKey"]] = created["streamId"]
            out.append(created["streamKey"])
        return out


class Viewers:
    """One polling viewer per stream, each on its own thread."""

    def __init__(self, server, stream_ids):
        self.base = f"http://127.0.0.1:{server.origin_port}/live"
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.requests = 0
        self.failures = 0
        self.threads = [threading.Thread(target=self.watch, args=(sid,), daemon=True) for sid in stream_ids]
        for thread in self.threads:
            thread.start()

    def get(self, url):
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                body = answer.read()
            ok = True
        except OSError:
            body, ok = b"", False
        with self.lock:
            self.requests += 1
            self.failures += 0 if ok else 1
        return body

    def watch(self, stream_id):
        tick = 0
        while not self.stop.wait(2):
            playlist = self.get(f"{self.base}/{stream_id}/video.m3u8").decode(errors="replace")
            names = [line for line in playlist.splitlines() if line and not line.startswith("#")]
            if names:
                self.get(f"{self.base}/{stream_id}/{names[-1]}")
            if tick % 5 == 0:
                self.get(f"{self.base}/{stream_id}/index.m3u8")
                self.get(f"{self.base}/{stream_id}/manifest.mpd")
            tick += 1

    def close(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(10)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--warmup-minutes", type=float, default=None,
                        help="growth is measured from here (default 10, or half a shorter run)")
    parser.add_argument("--segment-ms", type=int, default=2000)
    parser.add_argument("--record", action="store_true", help="record every stream (disk: about 0.5 GB "
                                                              "per stream-hour)")
    args = parser.parse_args()
    warmup = args.warmup_minutes if args.warmup_minutes is not None else min(10, args.minutes / 2)

    work = Path(tempfile.mkdtemp(prefix="looplive-soak-"))
    os.chmod(work, 0o755)  # PostgreSQL runs as its own user under it
    print(f"work directory: {work}", flush=True)
    fixture = rb.ROOT / "build" / "bench-fixtures" / "soak_640x360_30_800k.flv"
    fixture.parent.mkdir(parents=True, exist_ok=True)
    rb.make_fixture(fixture, "640x360", 30, "800k", 60)

    server = SoakLooplive(work, args.record, args.segment_ms)
    rows = []
    viewers = loadgen = None
    try:
        server.start()
        keys = server.create_streams(args.streams)
        keyfile = work / "keys.txt"
        keyfile.write_text("\n".join(keys) + "\n")
        idle = rb.memory_bytes(server.proc.pid)
        seconds = int(args.minutes * 60)
        loadgen = subprocess.Popen([str(rb.LOADGEN), "--publishers", str(args.streams), "--seconds",
                                    str(seconds + 30), "--url-template", server.url("{key}"), "--keys",
                                    str(keyfile), "--stagger-ms", "50", str(fixture)],
                                   stdout=open(work / "loadgen.log", "w"), stderr=subprocess.STDOUT)
        time.sleep(10)
        viewers = Viewers(server, [server.keys[k] for k in keys])
        started = time.monotonic()
        minute = 0
        while minute < args.minutes:
            minute += 1
            time.sleep(max(0.0, started + minute * 60 - time.monotonic()))
            memory = rb.memory_bytes(server.proc.pid)
            fresh = sum(server.playlist_age(k) < 5.0 for k in keys)
            with viewers.lock:
                requests, failures = viewers.requests, viewers.failures
            rows.append((minute, memory, fresh, requests, failures))
            print(f"  minute {minute:3d}: {memory / 2**20:8.1f} MiB, {fresh}/{args.streams} streams in real "
                  f"time, {requests} viewer requests ({failures} failed)", flush=True)
            if loadgen.poll() is not None:
                print("  the load generator stopped early; see loadgen.log", flush=True)
                break
    finally:
        if viewers:
            viewers.close()
        if loadgen and loadgen.poll() is None:
            loadgen.terminate()
            loadgen.wait(30)
        server.close()

    base = next((r for r in rows if r[0] >= warmup), rows[0] if rows else None)
    growth = (rows[-1][1] - base[1]) / base[1] * 100 if rows and base and base[1] else None
    lines = [f"# Soak\n",
             f"Machine: {os.cpu_count()} cores, {platform.system()} {platform.release()}.",
             f"Date: {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC.",
             f"Command: `bench/soak/run {' '.join(sys.argv[1:])}`\n",
             f"{args.streams} streams ({'recorded' if args.record else 'not recorded'}), "
             f"{args.segment_ms} ms segments, one polling viewer each; memory idle before the "
             f"publishers: {idle / 2**20:.1f} MiB.\n",
             "| minute | memory (MiB) | streams in real time | viewer requests (failed) |",
             "| --- | --- | --- | --- |"]
    for minute, memory, fresh, requests, failures in rows:
        lines.append(f"| {minute} | {memory / 2**20:.1f} | {fresh}/{args.streams} | {requests} ({failures}) |")
    if growth is not None:
        lines.append(f"\nGrowth from minute {base[0]} to minute {rows[-1][0]}: {growth:+.1f} % "
                     f"(aim: under 5 %).")
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    (rb.ROOT / "bench" / "SOAK.md").write_text(text)
    return 0 if growth is not None and growth < 5 else 1


if __name__ == "__main__":
    sys.exit(main())
