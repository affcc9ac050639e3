#!/usr/bin/env python3
"""Product tags under load: how soon a posted tag is on air, and what tags cost.

1. Delay: one live show (ffmpeg's test pattern, 30 fps, 2 s GOP, the sample
   configuration's 333 ms parts). Tags are posted at --rate a second for
   --seconds; a poller reads the video playlist every 10 ms and fetches every
   new LL-HLS part once. Per tag: from sending the POST to (a) the playlist
   listing its EXT-X-DATERANGE and (b) a part carrying its emsg; and the size
   of the longest playlist seen (every tag of the window is listed in it).
2. Cost: --streams publishers from tools/rtmp_loadgen (720p30, 2.5 Mbit/s,
   B-frames) for the whole measure; --cost-pairs pairs of --cpu-seconds
   windows, one without tags and one with one tag a second on every stream
   and --rate a second more on the first, in turn plain first and tagged
   first. CPU of looplive and of its PostgreSQL in each window; per pair,
   what tags added, and their median and mean.
3. Per tag: one publisher, --per-tag-windows pairs of --window seconds,
   without and with --per-tag-rate tags a second (in the same turns); CPU
   milliseconds per tag of looplive and of PostgreSQL in each pair (the
   tagged window minus the plain one), and their medians and means.

    tags_bench.py [--rate 50] [--seconds 30] [--streams 100] [--cpu-seconds 40] [--cost-pairs 3]
                  [--per-tag-rate 150] [--per-tag-windows 4] [--window 30] [--batch-ms 0]
                  [--one-backend] [--perf DIR] [--control] [--live-window 0]

With --batch-ms, each poster sends the tags due every that many milliseconds
in one POST /v1/tags (across its streams) instead of one POST each: one
poster for the tags a second on every stream and one for the first stream's
--rate, or with --one-backend a single poster for both, as one backend
posting every show's tags would. With
--perf, each cost window is also a perf profile of looplive, in DIR. With
--control, neither window of a pair has tags: what the method reads when
tags cost nothing. --live-window sets the live window in segments; past six
(12 s of 2 s segments) the playlists offer LL-HLS delta updates.

It starts build/release's looplive with its own PostgreSQL cluster on free
loopback ports (bench/latency's helpers) and stops everything it started.
"""
import argparse
import gzip
import http.client
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "latency"))
sys.path.insert(0, str(HERE.parent))

import latency_bench as lb  # noqa: E402  looplive, its database, ffmpeg publishing
from rtmp_bench import LOADGEN, cpu_seconds, make_fixture  # noqa: E402

TOKEN = "tags-bench-token-0123456789"
PART = re.compile(r'#EXT-X-PART:DURATION=[0-9.]+,URI="([^"]+)"')


class Api:
    """A keep-alive client for the control API (one per thread)."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def call(self, method, path, body=None):
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        self.conn.request(method, path, json.dumps(body) if body is not None else None, headers)
        response = self.conn.getresponse()
        return response.status, response.read()


def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else None


def mean_and_error(values):
    """The mean, and its standard error when there are two values or more."""
    mean = sum(values) / len(values)
    if len(values) < 2:
        return f"{mean:+.1f}%"
    return f"{mean:+.1f}% (standard error {statistics.stdev(values) / len(values) ** 0.5:.1f})"


def set_setting(config, key, value):
    """The configuration with a section's numeric `key` set to `value`; an
    error when it holds no such line, rather than a run with the default."""
    config, count = re.subn(rf"(\n  {key}:) \d+", rf"\g<1> {value}", config, count=1)
    if count != 1:
        raise SystemExit(f"no '{key}:' setting in the configuration to change")
    return config


def tags_server(work, binary=lb.LOOPLIVE, **settings):
    """A looplive (not started) with its own database that takes the bench's
    token, publishers from one address and posts past the default rate, and
    any further numeric settings (live_window=10)."""
    server = lb.Looplive(work, None, binary)
    server.env["LOOPLIVE_API_TOKENS"] = TOKEN
    # Every publisher comes from 127.0.0.1, which the per-address cap would stop at 32.
    config = set_setting(server.config.read_text(), "max_connections_per_address", 1000)
    # The per-tag measure posts past the default limit of 100 a second.
    config = set_setting(config, "tags_per_second", 1000)
    for key, value in settings.items():
        config = set_setting(config, key, value)
    server.config.write_text(config)
    return server


def window_order(pair):
    """Which window of a pair comes first (True: with tags). The order turns
    at every pair (plain, tagged; tagged, plain; ...): the publishers' own cost
    drifts during a run (up by 16 % over six pairs here), and with the plain
    window always first a drift counts as tags, or against them, in the same
    direction in every pair."""
    return (False, True) if pair % 2 else (True, False)


def tag_body(n):
    return {"productId": f"sku-{n % 40}", "action": "show" if n % 3 else "update",
            "payload": {"title": f"Product {n}", "price": "19.99", "currency": "EUR"}}


def post_tags(api_port, schedules, seconds, sent, answered, stop, batch_ms=0):
    """Posts tags by `schedules`, each (streams, per_second): tags at that rate
    to its streams in turn, noting when each was sent and what the API
    answered. Without `batch_ms` one POST a tag, and one schedule only; with
    it, every that many milliseconds the tags due by then on every schedule
    go in one POST /v1/tags."""
    api = Api(api_port)
    if not batch_ms and len(schedules) != 1:
        raise ValueError("one POST a tag posts one schedule")
    start = time.monotonic()
    counts = [0] * len(schedules)
    while not stop.is_set() and time.monotonic() - start < seconds:
        t = time.monotonic()
        if batch_ms:
            items = []
            for i, (streams, per_second) in enumerate(schedules):
                due = range(counts[i], max(counts[i] + 1, int((t - start) * per_second) + 1))
                items += [tag_body(k) | {"streamId": streams[k % len(streams)]} for k in due]
                counts[i] = due.stop
            status, text = api.call("POST", "/v1/tags", {"tags": items})
            results = json.loads(text)["results"] if status == 200 else [{"status": status}] * len(items)
        else:
            streams, per_second = schedules[0]
            n = counts[0]
            status, text = api.call("POST", f"/v1/streams/{streams[n % len(streams)]}/tags", tag_body(n))
            results = [{"status": status, "tag": json.loads(text)} if status == 201 else {"status": status}]
            counts[0] += 1
        for result in results:
            tag = result["tag"]["id"] if result["status"] == 201 else None
            answered.append((result["status"], tag))
            if tag:
                sent[tag] = t
        if batch_ms:
            time.sleep(max(0, t + batch_ms / 1000 - time.monotonic()))
        else:
            time.sleep(max(0, start + counts[0] / schedules[0][1] - time.monotonic()))


def watch(origin_port, stream, sent, in_playlist, in_part, largest, stop):
    """Polls the video playlist every 10 ms and reads every new part once;
    `largest` keeps the size and EXT-X-DATERANGE count of the longest playlist."""
    conn = http.client.HTTPConnection("127.0.0.1", origin_port, timeout=10)
    seen_parts = set()
    tag_ids = re.compile(rb'tag-(\d+)"')
    cue_ids = re.compile(rb'urn:looplive:tag:2026\x001\x00\{"[^}]*?"id":"(\d+)"')
    while not stop.is_set():
        conn.request("GET", f"/live/{stream}/video.m3u8")
        response = conn.getresponse()
        body = response.read()
        now = time.monotonic()
        if len(body) > largest.get("bytes", 0):
            largest.update(bytes=len(body), dateranges=body.count(b"#EXT-X-DATERANGE:"),
                           gzipped=len(gzip.compress(body)))
        for tag in tag_ids.findall(body):
            in_playlist.setdefault(tag.decode(), now)
        for uri in PART.findall(body.decode()):
            if uri in seen_parts:
                continue
            seen_parts.add(uri)
            conn.request("GET", f"/live/{stream}/{uri}")
            part = conn.getresponse().read()
            now = time.monotonic()
            for tag in cue_ids.findall(part):
                in_part.setdefault(tag.decode(), now)
        time.sleep(0.01)


def delay(server, args, work):
    stream = server.new_stream()
    publisher = lb.Publisher(stream["rtmp"], work / "publisher.log")
    try:
        if not wait_playable(server, stream["id"]):
            sys.exit("the show never became playable")
        sent, answered, in_playlist, in_part, largest = {}, [], {}, {}, {}
        stop = threading.Event()
        watcher = threading.Thread(target=watch, args=(server.origin_port, stream["id"], sent,
                                                       in_playlist, in_part, largest, stop),
                                   daemon=True)
        watcher.start()
        post_tags(server.api_port, [([stream["id"]], args.rate)], args.seconds, sent, answered,
                  stop, args.batch_ms)
        time.sleep(3)  # the last tags reach the media
        stop.set()
        watcher.join(5)
        return {
            "posted": len(answered),
            "created": sum(1 for s, _ in answered if s == 201),
            "playlist": [(in_playlist[t] - sent[t]) * 1000 for t in sent if t in in_playlist],
            "part": [(in_part[t] - sent[t]) * 1000 for t in sent if t in in_part],
            "missing_playlist": sum(1 for t in sent if t not in in_playlist),
            "missing_part": sum(1 for t in sent if t not in in_part),
            "largest": largest,
        }
    finally:
        publisher.stop()


def wait_playable(server, stream_id, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", server.origin_port, timeout=5)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn.request("GET", f"/live/{stream_id}/index.m3u8")
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                return True
        except OSError:
            conn = http.client.HTTPConnection("127.0.0.1", server.origin_port, timeout=5)
        time.sleep(0.2)
    return False


def postgres_pid(server):
    return int((server.pg_dir / "postmaster.pid").read_text().split()[0])


def cost(server, args, work, fixture):
    """--streams publishers for the whole measure; --cost-pairs pairs of
    --cpu-seconds windows without and with tags (one a second on every
    stream, --rate a second more on the first). Interleaved, so the windows
    of a pair see the same publishers, and in turns (window_order), so a
    steady drift of their cost adds to as many pairs as it takes from."""
    streams = [server.new_stream() for _ in range(args.streams)]
    keys = work / "keys-cost.txt"
    keys.write_text("\n".join(s["rtmp"].rsplit("/", 1)[1] for s in streams) + "\n")
    seconds = 2 * args.cost_pairs * (args.cpu_seconds + 3) + 40
    log = open(work / "loadgen-cost.log", "w")
    loadgen = subprocess.Popen(
        [str(LOADGEN), "--publishers", str(args.streams), "--seconds", str(seconds),
         "--url-template", f"rtmp://127.0.0.1:{server.rtmp_port}/live/{{key}}", "--keys", str(keys),
         "--stagger-ms", "20", str(fixture)],
        stdout=log, stderr=subprocess.STDOUT, text=True)
    lb.children.append(loadgen)
    ids = [s["id"] for s in streams]
    for stream_id in ids:
        if not wait_playable(server, stream_id):
            print((work / "loadgen-cost.log").read_text()[-3000:])
            print((work / "looplive.log").read_text()[-3000:])
            sys.exit(f"stream {stream_id} never became playable")
    time.sleep(5)
    pids = {"looplive": server.proc.pid, "postgres": postgres_pid(server)}
    pairs = []
    for pair in range(1, args.cost_pairs + 1):
        used = {}
        for tagged in window_order(pair):
            stop = threading.Event()
            posters, answered = [], []
            if tagged and not args.control:
                every = [(group, len(group)) for group in
                         ([ids] if args.batch_ms else [ids[i::4] for i in range(4) if ids[i::4]])]
                more = [(ids[:1], args.rate)]
                # Batched, one poster covers every stream: its batches span them all;
                # with --one-backend the first stream's extra tags ride in them too.
                schedules = [every + more] if args.one_backend else [[s] for s in every + more]
                for schedule in schedules:
                    posters.append(threading.Thread(target=post_tags, args=(
                        server.api_port, schedule, args.cpu_seconds + 2, {}, answered, stop,
                        args.batch_ms), daemon=True))
                for poster in posters:
                    poster.start()
                time.sleep(1)  # the posts run at their rate before the window opens
            before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            t0 = time.monotonic()
            if args.perf:
                # A profile of looplive over the window, to see what the tags added.
                out = Path(args.perf) / f"pair{pair}-{'tagged' if tagged else 'plain'}.data"
                out.parent.mkdir(parents=True, exist_ok=True)
                subprocess.run(["perf", "record", "-q", "-F", str(args.perf_hz),
                                "--call-graph", "dwarf,16384", "-p", str(pids["looplive"]),
                                "-o", str(out), "--", "sleep", str(args.cpu_seconds)],
                               stdout=subprocess.DEVNULL, check=True)
            else:
                time.sleep(args.cpu_seconds)
            elapsed = time.monotonic() - t0
            used[tagged] = {name: (cpu_seconds(pid) - before[name]) / elapsed
                            for name, pid in pids.items()}
            stop.set()
            for poster in posters:
                poster.join(15)
            refused = sum(1 for status, _ in answered if status != 201)
            if refused:
                print(f"warning: {refused} tags refused", file=sys.stderr)
            time.sleep(2)
        pairs.append({"plain": used[False], "tagged": used[True]})
    loadgen.terminate()
    loadgen.wait(timeout=60)
    log.close()
    return pairs


def per_tag(server, args, work, fixture):
    """CPU per tag on one publisher: windows without and with tags, in turns."""
    stream = server.new_stream()
    keys = work / "keys-per-tag.txt"
    keys.write_text(stream["rtmp"].rsplit("/", 1)[1] + "\n")
    seconds = 2 * args.per_tag_windows * (args.window + 2) + 30
    log = open(work / "loadgen-per-tag.log", "w")
    loadgen = subprocess.Popen(
        [str(LOADGEN), "--publishers", "1", "--seconds", str(seconds), "--url-template",
         f"rtmp://127.0.0.1:{server.rtmp_port}/live/{{key}}", "--keys", str(keys), str(fixture)],
        stdout=log, stderr=subprocess.STDOUT, text=True)
    lb.children.append(loadgen)
    if not wait_playable(server, stream["id"]):
        sys.exit("the per-tag show never became playable")
    time.sleep(3)
    pids = {"looplive": server.proc.pid, "postgres": postgres_pid(server)}
    pairs = []
    created, refused = 0, 0
    for pair in range(1, args.per_tag_windows + 1):
        used = {}
        for tagged in window_order(pair):
            stop, answered = threading.Event(), []
            poster = threading.Thread(target=post_tags, args=(
                server.api_port, [([stream["id"]], args.per_tag_rate)], args.window + 1, {},
                answered, stop, args.batch_ms), daemon=True)
            if tagged and not args.control:
                poster.start()
                time.sleep(1)  # the posts run at their rate before the window opens
            before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            time.sleep(args.window)
            used[tagged] = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
            stop.set()
            if poster.is_alive():
                poster.join(15)
                created = sum(1 for status, _ in answered if status == 201)
                refused = len(answered) - created
            time.sleep(2)  # what the posts started settles before the next window
        # Tags placed in the window: the rate times its length (posts run on past it).
        tags = args.per_tag_rate * args.window
        pairs.append({name: (used[True][name] - used[False][name]) * 1000 / tags for name in pids}
                     | {"refused": refused, "created": created})
    loadgen.terminate()
    loadgen.wait(timeout=30)
    log.close()
    return pairs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=int, default=50, help="tags a second on one stream")
    parser.add_argument("--seconds", type=int, default=30, help="of tags for the delay")
    parser.add_argument("--streams", type=int, default=100, help="publishers for the cost; 0 skips")
    parser.add_argument("--cpu-seconds", type=int, default=40, help="seconds per cost window")
    parser.add_argument("--cost-pairs", type=int, default=3, help="pairs of cost windows")
    parser.add_argument("--per-tag-rate", type=int, default=150, help="tags a second, per tag")
    parser.add_argument("--per-tag-windows", type=int, default=4, help="pairs of windows; 0 skips")
    parser.add_argument("--window", type=int, default=30, help="seconds per window, per tag")
    parser.add_argument("--perf", metavar="DIR",
                        help="record a perf profile of looplive in each cost window into DIR "
                             "(needs perf: apt-get install linux-perf)")
    parser.add_argument("--perf-hz", type=int, default=199,
                        help="samples a second for --perf (999 resolves a few thousandths of a core)")
    parser.add_argument("--control", action="store_true",
                        help="post no tags in either window of a pair: what the method reads "
                             "when tags cost nothing (its noise and drift)")
    parser.add_argument("--batch-ms", type=int, default=0,
                        help="post the tags due every this many ms in one POST /v1/tags; 0: one POST each")
    parser.add_argument("--one-backend", action="store_true",
                        help="with --batch-ms, one poster sends every stream's tags due (the "
                             "first stream's --rate too) in one request, as one backend would; "
                             "otherwise that stream's extra tags have a poster of their own")
    parser.add_argument("--live-window", type=int, default=0,
                        help="packager.live_window in segments (0: the sample configuration's); "
                             "past 6, the playlists offer delta updates")
    args = parser.parse_args()
    if args.one_backend and not args.batch_ms:
        parser.error("--one-backend needs --batch-ms")
    work = Path(tempfile.mkdtemp(prefix="looplive-tags-"))
    work.chmod(0o755)  # PostgreSQL runs as its own user below it
    server = tags_server(work, **({"live_window": args.live_window} if args.live_window else {}))
    try:
        server.start()
        d = delay(server, args, work)
        print(f"\nTag on air, {args.rate} tags/s on one live show for {args.seconds} s "
              f"({d['created']} of {d['posted']} posted), milliseconds from sending the POST:")
        print("| where | p50 | p95 | p99 | max | never seen |")
        print("| --- | --- | --- | --- | --- | --- |")
        for name, key, missing in (("media playlist (EXT-X-DATERANGE)", "playlist", "missing_playlist"),
                                   ("a part's emsg", "part", "missing_part")):
            values = d[key]
            row = [f"{pct(values, p):.0f}" if values else "-" for p in (50, 95, 99, 100)]
            print(f"| {name} | {' | '.join(row)} | {d[missing]} |")
        largest = d["largest"]
        print(f"The longest video.m3u8 seen: {largest.get('bytes', 0) / 1024:.1f} KiB "
              f"({largest.get('gzipped', 0) / 1024:.1f} KiB gzipped), "
              f"{largest.get('dateranges', 0)} EXT-X-DATERANGE tags.")
        fixture = work / "720p30.flv"
        if args.streams or args.per_tag_windows:
            make_fixture(fixture, "1280x720", 30, "2500k", 60)
        if args.streams:
            pairs = cost(server, args, work, fixture)
            tags_per_second = args.streams + args.rate
            print(f"\nCPU (cores busy), {args.streams} publishers, {args.cpu_seconds} s windows "
                  f"without and with tags ({tags_per_second} tags/s: one a second on each stream, "
                  f"{args.rate} more on the first"
                  + (f", posted in batches every {args.batch_ms} ms" if args.batch_ms else "")
                  + (" by one poster" if args.one_backend else "")
                  + ("; control: no tags in either window" if args.control else "") + "):")
            print("| pair | looplive without | looplive with | its PostgreSQL without | with "
                  "| looplive, added | both, added |")
            print("| --- | --- | --- | --- | --- | --- | --- |")
            added, own_added = [], []
            for n, pair in enumerate(pairs, 1):
                plain, tagged = pair["plain"], pair["tagged"]
                base = plain["looplive"] + plain["postgres"]
                more = (tagged["looplive"] + tagged["postgres"] - base) / base * 100
                own = (tagged["looplive"] - plain["looplive"]) / plain["looplive"] * 100
                added.append(more)
                own_added.append(own)
                print(f"| {n} | {plain['looplive']:.3f} | {tagged['looplive']:.3f} | "
                      f"{plain['postgres']:.3f} | {tagged['postgres']:.3f} | {own:+.1f}% | {more:+.1f}% |")
            print(f"| median | | | | | {statistics.median(own_added):+.1f}% | "
                  f"{statistics.median(added):+.1f}% |")
            # Over pairs in both turns a steady drift cancels in the mean.
            print(f"| mean | | | | | {mean_and_error(own_added)} | {mean_and_error(added)} |")
        if args.per_tag_windows:
            pairs = per_tag(server, args, work, fixture)
            print(f"\nCPU milliseconds per tag, one publisher, {args.per_tag_rate} tags/s, "
                  f"{args.window} s windows with tags minus without"
                  + ("; control: no tags in either window" if args.control else "") + ":")
            print("| pair | looplive | postgres | tags refused |")
            print("| --- | --- | --- | --- |")
            for n, pair in enumerate(pairs, 1):
                print(f"| {n} | {pair['looplive']:.3f} | {pair['postgres']:.3f} | {pair['refused']} |")
            print(f"| median | {statistics.median(p['looplive'] for p in pairs):.3f} | "
                  f"{statistics.median(p['postgres'] for p in pairs):.3f} | |")
            print(f"| mean | {sum(p['looplive'] for p in pairs) / len(pairs):.3f} | "
                  f"{sum(p['postgres'] for p in pairs) / len(pairs):.3f} | |")
    finally:
        for child in lb.children:
            lb.stop_process(child)
        server.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
