#!/usr/bin/env python3
"""The release binary (jemalloc) against the same code built with glibc's
malloc, side by side: both servers run at once, each with its own PostgreSQL
cluster and --streams publishers from tools/rtmp_loadgen (720p30, 2.5
Mbit/s, B-frames), so whatever else the machine does weighs on both alike.
--windows windows of --seconds; with --tags every second window also carries
product tags on both (one a second on every stream and 50 a second more on
the first, posted in batches every 100 ms). Per window: the CPU of each
looplive (cores busy) and its memory per stream (resident set plus the
in-memory segment files, less the idle server's); then their means.

    allocator_bench.py --glibc BINARY --jemalloc BINARY [--streams 50] [--windows 8]
                       [--seconds 20] [--tags]
"""
import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "latency"))
sys.path.insert(0, str(HERE.parent / "tags"))
sys.path.insert(0, str(HERE.parent))

import latency_bench as lb  # noqa: E402  looplive with its own database
import tags_bench as tb  # noqa: E402  posting tags, waiting for a playable show
from rtmp_bench import LOADGEN, cpu_seconds, make_fixture, memory_bytes  # noqa: E402


def start(name, binary, work):
    server = tb.tags_server(work / name, binary)
    server.start()
    return server


def publish(name, server, count, seconds, fixture, work):
    streams = [server.new_stream() for _ in range(count)]
    keys = work / f"keys-{name}.txt"
    keys.write_text("\n".join(s["rtmp"].rsplit("/", 1)[1] for s in streams) + "\n")
    loadgen = subprocess.Popen(
        [str(LOADGEN), "--publishers", str(count), "--seconds", str(seconds),
         "--url-template", f"rtmp://127.0.0.1:{server.rtmp_port}/live/{{key}}", "--keys", str(keys),
         "--stagger-ms", "20", str(fixture)],
        stdout=open(work / f"loadgen-{name}.log", "w"), stderr=subprocess.STDOUT)
    lb.children.append(loadgen)
    return [s["id"] for s in streams]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--glibc", required=True, help="looplive built with -DLOOPLIVE_JEMALLOC=OFF")
    parser.add_argument("--jemalloc", required=True, help="looplive as released")
    parser.add_argument("--streams", type=int, default=50, help="publishers on each server")
    parser.add_argument("--windows", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--tags", action="store_true", help="tags on both in every second window")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="looplive-allocator-"))
    work.chmod(0o755)  # PostgreSQL runs as its own user below it
    fixture = work / "720p30.flv"
    make_fixture(fixture, "1280x720", 30, "2500k", 60)
    servers = {}
    try:
        for name in ("glibc", "jemalloc"):
            servers[name] = start(name, getattr(args, name), work)
        idle = {name: memory_bytes(s.proc.pid) for name, s in servers.items()}
        seconds = args.windows * (args.seconds + 6) + 120
        ids = {name: publish(name, s, args.streams, seconds, fixture, work) for name, s in servers.items()}
        for name, server in servers.items():
            for stream_id in ids[name]:
                if not tb.wait_playable(server, stream_id):
                    sys.exit(f"{name}: stream {stream_id} never became playable")
        time.sleep(10)
        print(f"\n{args.streams} publishers on each server, {args.seconds} s windows"
              f"{', tags in every second window' if args.tags else ''}:")
        print("| window | tags | glibc, cores | jemalloc, cores | jemalloc against glibc "
              "| glibc, MiB a stream | jemalloc, MiB a stream |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        rows = []
        for window in range(1, args.windows + 1):
            tagged = args.tags and window % 2 == 0
            stop, posters = threading.Event(), []
            if tagged:
                for name, server in servers.items():
                    for streams, rate in ((ids[name], len(ids[name])), (ids[name][:1], 50)):
                        posters.append(threading.Thread(target=tb.post_tags, args=(
                            server.api_port, [(streams, rate)], args.seconds + 2, {}, [], stop,
                            100),
                            daemon=True))
                for poster in posters:
                    poster.start()
                time.sleep(1)  # the posts run at their rate before the window opens
            before = {name: cpu_seconds(s.proc.pid) for name, s in servers.items()}
            t0 = time.monotonic()
            time.sleep(args.seconds)
            elapsed = time.monotonic() - t0
            cores = {name: (cpu_seconds(s.proc.pid) - before[name]) / elapsed
                     for name, s in servers.items()}
            mib = {name: (memory_bytes(s.proc.pid) - idle[name]) / args.streams / 2**20
                   for name, s in servers.items()}
            stop.set()
            for poster in posters:
                poster.join(15)
            rows.append((tagged, cores, mib))
            print(f"| {window} | {'yes' if tagged else 'no'} | {cores['glibc']:.3f} | "
                  f"{cores['jemalloc']:.3f} | {(cores['jemalloc'] / cores['glibc'] - 1) * 100:+.1f}% | "
                  f"{mib['glibc']:.2f} | {mib['jemalloc']:.2f} |", flush=True)
            time.sleep(2)
        for tagged in (False, True):
            chosen = [r for r in rows if r[0] == tagged]
            if not chosen:
                continue
            mean = {name: statistics.mean(r[1][name] for r in chosen) for name in servers}
            memory = {name: statistics.mean(r[2][name] for r in chosen) for name in servers}
            print(f"| mean | {'yes' if tagged else 'no'} | {mean['glibc']:.3f} | {mean['jemalloc']:.3f} | "
                  f"{(mean['jemalloc'] / mean['glibc'] - 1) * 100:+.1f}% | {memory['glibc']:.2f} | "
                  f"{memory['jemalloc']:.2f} |")
    finally:
        for child in lb.children:
            lb.stop_process(child)
        for server in servers.values():
            server.close()


if __name__ == "__main__":
    main()
