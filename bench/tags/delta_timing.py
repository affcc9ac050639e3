#!/usr/bin/env python3
"""How long the first request for a playlist's delta update takes, which
renders it on the origin's thread, against the next request for the same
version, which is served from what the first made.

One live show (ffmpeg's test pattern) with a live window of --live-window
segments (past six, the playlists offer delta updates) and --rate tags a
second posted in batches for the whole run, so the playlists list hundreds
of EXT-X-DATERANGE tags. After --fill seconds a client asks for
video.m3u8?_HLS_skip=v2 (as hls.js does) and then _HLS_skip=YES, each until
--versions new playlist versions (ETags) were seen: for each new version,
the first request and a second one at once, both on one keep-alive
connection; a pair counts only when both answers carry that version.

    delta_timing.py [--live-window 10] [--rate 50] [--fill 25] [--versions 100]

It starts build/release's looplive with its own PostgreSQL cluster on free
loopback ports (bench/latency's helpers) and stops everything it started.
"""
import argparse
import http.client
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "latency"))
sys.path.insert(0, str(HERE.parent))

import latency_bench as lb  # noqa: E402  looplive, its database, ffmpeg publishing
import tags_bench as tb  # noqa: E402  posting tags, the configuration


def timed_get(conn, path):
    t0 = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    return (time.perf_counter() - t0) * 1000, response.status, response.getheader("ETag"), len(body)


def measure(origin_port, stream_id, skip, versions):
    """Pairs of (first, second) request times in ms for new versions, and the
    largest answer's size."""
    conn = http.client.HTTPConnection("127.0.0.1", origin_port, timeout=10)
    path = f"/live/{stream_id}/video.m3u8?_HLS_skip={skip}"
    seen, pairs, largest = set(), [], 0
    deadline = time.monotonic() + versions * 2 + 30
    while len(pairs) < versions and time.monotonic() < deadline:
        first, status, etag, size = timed_get(conn, path)
        if status != 200 or etag in seen:
            time.sleep(0.005)
            continue
        seen.add(etag)
        second, status2, etag2, _ = timed_get(conn, path)
        if status2 == 200 and etag2 == etag:
            pairs.append((first, second))
            largest = max(largest, size)
    return pairs, largest


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--live-window", type=int, default=10)
    parser.add_argument("--rate", type=int, default=50, help="tags a second on the show")
    parser.add_argument("--fill", type=int, default=25, help="seconds of tags before measuring")
    parser.add_argument("--versions", type=int, default=100)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="looplive-delta-"))
    work.chmod(0o755)  # PostgreSQL runs as its own user below it
    server = tb.tags_server(work, live_window=args.live_window)
    publisher = None
    stop = threading.Event()
    try:
        server.start()
        stream = server.new_stream()
        publisher = lb.Publisher(stream["rtmp"], work / "publisher.log")
        if not tb.wait_playable(server, stream["id"]):
            sys.exit("the show never became playable")
        answered = []
        poster = threading.Thread(target=tb.post_tags, args=(
            server.api_port, [([stream["id"]], args.rate)], 3600, {}, answered, stop, 100),
            daemon=True)
        poster.start()
        time.sleep(args.fill)
        print(f"\nOne show, live window {args.live_window} segments, {args.rate} tags/s in batches; "
              f"milliseconds per request for a new playlist version:")
        print("| update | versions | first request (renders), p50 | p95 | max "
              "| second request (served), p50 | p95 | largest answer |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for skip in ("v2", "YES"):
            pairs, largest = measure(server.origin_port, stream["id"], skip, args.versions)
            if not pairs:
                sys.exit(f"no delta update (_HLS_skip={skip}) was answered twice with one version")
            first = [p[0] for p in pairs]
            second = [p[1] for p in pairs]
            print(f"| _HLS_skip={skip} | {len(pairs)} | {statistics.median(first):.2f} | "
                  f"{tb.pct(first, 95):.2f} | {max(first):.2f} | {statistics.median(second):.2f} | "
                  f"{tb.pct(second, 95):.2f} | {largest / 1024:.1f} KiB |")
        refused = sum(1 for status, _ in answered if status != 201)
        print(f"{len(answered)} tags posted, {refused} refused.")
    finally:
        stop.set()
        if publisher:
            publisher.stop()
        server.close()
        for child in lb.children:
            lb.stop_process(child)


if __name__ == "__main__":
    main()
