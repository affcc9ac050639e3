#!/usr/bin/env python3
"""Thousands of LL-HLS viewers blocked on the same part of one live show.

tools/held_reloads (C++, one thread, epoll) opens N keep-alive connections to
the origin (spread over loopback source addresses, so the per-address cap
does not apply), then, round after round, reads the playlist's preload hint
and has every connection ask for it with a blocking reload
(_HLS_msn/_HLS_part). The origin holds them all and answers when the part
exists. Reported: how long the first answer took (the wait for the part), how
far the last answer came after the first (what holding N requests costs),
every answer's lag behind its round's first, and every answer that was not a
200 listing the part asked for. The client was Python's asyncio; it gave
nearly the same spread, so the spread is the server's, not the client's.

    held_reloads.py [--connections 5000] [--rounds 10]      # its own looplive and show
    held_reloads.py --port PORT --stream ID ...            # a show already running

Without --port it starts build/release's looplive with its own PostgreSQL
cluster and an ffmpeg publisher (bench/latency's helpers), and stops them.
"""
import argparse
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "latency"))

CLIENT = Path(__file__).resolve().parent.parent.parent / "build" / "release" / "tools" / "held_reloads"


def measure(port, stream, connections, rounds):
    """Runs tools/held_reloads; its summary as a dict of floats."""
    done = subprocess.run([str(CLIENT), "--port", str(port), "--stream", stream,
                           "--connections", str(connections), "--rounds", str(rounds)],
                          capture_output=True, text=True, timeout=600)
    sys.stdout.write(done.stdout)
    summary = next((line for line in done.stdout.splitlines() if line.startswith("summary ")), None)
    if done.returncode == 1 or summary is None:
        sys.exit(f"held_reloads failed ({done.returncode}): {done.stderr}")
    return {key: float(value) for key, value in
            (field.split("=") for field in summary.split()[1:])}


def wait_playable(url):
    """Waits until a live media playlist has a preload hint: the show plays."""
    deadline = time.monotonic() + 30
    while True:
        try:
            if b"PRELOAD-HINT" in urllib.request.urlopen(url, timeout=2).read():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            sys.exit("the show never became playable")
        time.sleep(0.05)


def shut_down(server, publisher, work):
    """Stops everything a bench started, pass or fail."""
    import latency_bench as lb
    if publisher:
        publisher.stop()
    server.close()
    for proc in lb.children:
        lb.stop_process(proc, signal.SIGKILL, 5)
    shutil.rmtree(work, ignore_errors=True)


def serve_and_measure(args):
    import latency_bench as lb  # looplive, its database and the publisher
    work = Path(tempfile.mkdtemp(prefix="looplive-held-"))
    work.chmod(0o755)  # PostgreSQL runs as its own user below it
    server = lb.Looplive(work, None)
    publisher = None
    try:
        server.start()
        stream = server.new_stream()
        publisher = lb.Publisher(stream["rtmp"], work / "publisher.log")
        url = f"http://127.0.0.1:{server.origin_port}/live/{stream['id']}/video.m3u8"
        wait_playable(url)
        return measure(server.origin_port, stream["id"], args.connections, args.rounds)
    finally:
        shut_down(server, publisher, work)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int)
    parser.add_argument("--stream")
    parser.add_argument("--connections", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.port:
        s = measure(args.port, args.stream, args.connections, args.rounds)
    else:
        s = serve_and_measure(args)

    print("| connections held | rounds | wait for the part, median | "
          "last answer after the first, median / p99 / max | every answer after its round's first, "
          "p50 / p99 | not a 200 listing the part |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(f"| {args.connections} | {int(s['rounds'])} | {s['first_ms_median']:.0f} ms | "
          f"{s['spread_ms_median']:.1f} / {s['spread_ms_p99']:.1f} / {s['spread_ms_max']:.1f} ms | "
          f"{s['answer_lag_p50']:.1f} / {s['answer_lag_p99']:.1f} ms | {int(s['bad'])} |")


if __name__ == "__main__":
    main()
