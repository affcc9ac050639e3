"""hls.js and dash.js on a laddered live show when the bandwidth drops and
comes back: how soon each moves down the ladder, how soon back up, and
whether it stalls.

A 640x360 30 fps show (0.8 Mbit/s, 2 s GOP, AAC) is published in real time
to Release looplive with ladder.default auto and rungs 240p@300k and
144p@150k (what ladder_test plays). Each player in headless Chromium
(tests/player/ladder.mjs) plays --free seconds at full speed, --throttled
seconds at --kbits kbit/s (DevTools network emulation), then --recovered
seconds at full speed again. Reported per player: the smallest picture
height while throttled and how long after the throttle began it was first
shown; the tallest after the bandwidth came back and how long after that it
was first shown (a taller picture than the throttled minimum); stalls.

Run through bench/abr/run, which installs what is missing and builds Release.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "latency"))
sys.path.insert(0, str(HERE.parent / "ladder"))
sys.path.insert(0, str(HERE.parent))
import latency_bench as lb  # noqa: E402  looplive, its database, process handling
from ladder_bench import ladder_config  # noqa: E402
from rtmp_bench import make_fixture  # noqa: E402

RUNGS = [(426, 240, 300), (256, 144, 150)]  # width, height, kbit/s
PLAYER = lb.ROOT / "tests" / "player" / "ladder.mjs"


def wait_for_rungs(url, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if b"RESOLUTION=256x144" in answer.read():
                    return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit(f"{url} never listed the 144p rung")


def play(kind, url, args, work):
    command = ["node", str(PLAYER), kind, url, str(args.free), str(args.throttled), str(args.kbits),
               str(args.recovered)]
    with open(work / f"{kind}.log", "w") as log:
        out = subprocess.run(command, stdout=subprocess.PIPE, stderr=log, text=True,
                             timeout=args.free + args.throttled + args.recovered + 120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def summary(report):
    """(smallest throttled, its delay), (tallest after, its delay), stalls (count, ms)."""
    phases = report.get("phases") or {}
    throttled_at = phases.get("throttled", 0)
    recovered_at = phases.get("recovered")
    low = min((h for h in report["heights"] if h["phase"] == "throttled"),
              key=lambda h: h["height"], default=None)
    up = None
    if low is not None:
        taller = [h for h in report["heights"] if h["phase"] == "recovered" and h["height"] > low["height"]]
        up = max(taller, key=lambda h: h["height"], default=None)
        first_up = taller[0] if taller else None
    stalls = report["stalls"]
    return {
        "low": low and (low["height"], low["at"] - throttled_at),
        "up": up and (up["height"], first_up["at"] - recovered_at),
        "stalls": (len(stalls), sum(s["ms"] for s in stalls)),
        "errors": report["errors"],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--free", type=int, default=8, help="seconds at full speed first")
    parser.add_argument("--throttled", type=int, default=24)
    parser.add_argument("--kbits", type=int, default=400)
    parser.add_argument("--recovered", type=int, default=90, help="seconds at full speed after")
    parser.add_argument("--players", default="hls,dash", help="of hls, dash, hls-ll, dash-ll")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="looplive-abr-"))
    work.chmod(0o755)  # PostgreSQL runs as its own user below it
    fixture = work / "show.flv"
    make_fixture(fixture, "640x360", 30, "800k", 60)
    server = publisher = None
    rows = []
    try:
        server = lb.Looplive(work, None)
        server.config.write_text(ladder_config(server.config.read_text(), RUNGS))
        server.start()
        stream = server.new_stream()
        log = open(work / "publisher.log", "w")
        publisher = subprocess.Popen(
            ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "warning", "-re", "-stream_loop", "-1",
             "-i", str(fixture), "-c", "copy", "-f", "flv", stream["rtmp"]],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        lb.children.append(publisher)
        wait_for_rungs(stream["hls"])
        for kind in args.players.split(","):
            url = stream["hls"] if kind.startswith("hls") else stream["dash"]
            print(f"[{kind}] playing {args.free} + {args.throttled} + {args.recovered} s", flush=True)
            rows.append((kind, summary(play(kind, url, args, work))))
    finally:
        lb.stop_process(publisher)
        if server:
            server.close()
        if not args.keep:
            subprocess.run(["rm", "-rf", str(work)])

    print(f"\n{args.free} s free, {args.throttled} s at {args.kbits} kbit/s, then {args.recovered} s free; "
          f"rungs 360p (the source), 240p@300k, 144p@150k\n")
    print("| player | down to, after the throttle began | back up to, after the bandwidth came back | stalls |")
    print("| --- | --- | --- | --- |")
    for kind, s in rows:
        low = f"{s['low'][0]}p after {s['low'][1]:.1f} s" if s["low"] else "did not move down"
        up = (f"{s['up'][0]}p, first taller after {s['up'][1]:.1f} s" if s["up"]
              else f"not within {args.recovered} s")
        stalls = f"{s['stalls'][0]} ({s['stalls'][1] / 1000:.1f} s)"
        print(f"| {kind} | {low} | {up} | {stalls} |" + (f" errors: {s['errors']}" if s["errors"] else ""))


if __name__ == "__main__":
    main()
