"""The live ladder's cost and quality, beside ffmpeg making the same rungs.

A 720p30 H.264 show (3 Mbit/s, B-frames, 2 s GOP, AAC; what OBS sends) is
published in real time (ffmpeg -re -c copy) four times:

  source only   looplive packaging the show as published
  ladder        looplive with ladder.default auto and rungs 480p@1200k,
                360p@600k (recorded, so the rungs can be measured)
  ffmpeg        ffmpeg reading the same file in real time and making the same
                two rungs: split, scale (bicubic), libx264 veryfast,
                zerolatency, the same bitrates and VBV, keyframes on the
                source's (the command is printed)
  ffmpeg, 1 thread  the same with one thread for the decoder, the filters and
                each encoder, as the ladder runs by default (ladder.threads 1)

CPU is the process's user + system time over a window in the middle of the
show, in cores (1.0 = one core busy). The ladder's own cost is the ladder run
minus the source-only run. ffmpeg's CPU moves by a third from one run to the
next here, so the four runs are repeated --rounds times, in turn, and the
table gives each round's ratio and the medians. Quality is PSNR (luma and
average, ffmpeg's psnr filter) of each rung against the source scaled straight
to the rung's size with ffmpeg's bicubic scaler, over all but the show's last
second, and how many of each rung's decoded pictures are the same, bit for
bit, as ffmpeg's.

Run through bench/ladder/run, which installs what is missing and builds Release.
"""

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "latency"))
sys.path.insert(0, str(HERE.parent))
import latency_bench as lb  # noqa: E402  looplive, its database, process handling
from rtmp_bench import cpu_seconds, make_fixture  # noqa: E402

RUNGS = [(854, 480, 1200), (640, 360, 600)]  # width, height, kbit/s


def ladder_config(text, rungs=RUNGS):
    """conf/looplive.yaml's ladder section switched on with these rungs
    (width, height, kbit/s)."""
    rungs = ", ".join(f'"{h}p@{k}k"' for _, h, k in rungs)
    out, section = [], None
    for line in text.splitlines():
        top = re.match(r"^([a-z_]+):", line)
        if top:
            section = top.group(1)
        if section == "ladder" and line.startswith("  default:"):
            line = "  default: auto"
        elif section == "ladder" and line.startswith("  rungs:"):
            line = f"  rungs: [{rungs}]"
        out.append(line)
    return "\n".join(out) + "\n"


def publish(url, fixture, seconds, log):
    return subprocess.Popen(
        ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "warning", "-re", "-t", str(seconds),
         "-i", str(fixture), "-c", "copy", "-f", "flv", url],
        stdout=log, stderr=subprocess.STDOUT)


def measure(pid, warmup, window):
    time.sleep(warmup)
    before, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(window)
    return (cpu_seconds(pid) - before) / (time.monotonic() - t0)


def looplive_run(work, fixture, args, ladder):
    server = lb.Looplive(work, None)
    if ladder:
        server.config.write_text(ladder_config(server.config.read_text()))
    try:
        server.start()
        created = json.loads(subprocess.run(
            [str(lb.LOOPLIVE), "--config", str(server.config), "--create-stream", "--record"],
            env=server.env, check=True, capture_output=True, text=True).stdout)
        url = f"rtmp://127.0.0.1:{server.rtmp_port}/live/{created['streamKey']}"
        log = open(work / "publisher.log", "w")
        publisher = publish(url, fixture, args.seconds, log)
        lb.children.append(publisher)
        cores = measure(server.proc.pid, args.warmup, args.window)
        publisher.wait(args.seconds + 60)
        log.close()
        vods = server.media / "vods"
        playlist = vods / f"{created['streamId']}.m3u8"
        deadline = time.monotonic() + 120
        while ladder and not playlist.exists() and time.monotonic() < deadline:
            time.sleep(1)  # the stream ends after the reconnect window
        rungs = []
        if ladder:
            for i in range(len(RUNGS)):
                rungs.append(vods / f"{created['streamId']}_video_{i + 1}.m3u8")
        return cores, rungs
    finally:
        server.close()


def ffmpeg_command(fixture, outputs, seconds, one_thread=False):
    threads = ["-threads", "1"] if one_thread else []
    graph = f"[0:v]split={len(RUNGS)}" + "".join(f"[s{i}]" for i in range(len(RUNGS))) + ";"
    graph += ";".join(f"[s{i}]scale={w}:{h}:flags=bicubic[v{i}]" for i, (w, h, _) in enumerate(RUNGS))
    cmd = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "warning", "-y", "-re", "-t", str(seconds),
           *threads, "-i", str(fixture)]
    cmd += ["-filter_threads", "1"] if one_thread else []
    cmd += ["-filter_complex", graph]
    for i, (_, _, kbits) in enumerate(RUNGS):
        cmd += ["-map", f"[v{i}]", "-c:v", "libx264", *threads, "-preset", "veryfast", "-tune", "zerolatency",
                "-b:v", f"{kbits}k", "-maxrate", f"{kbits}k", "-bufsize", f"{2 * kbits}k",
                "-g", "100000", "-x264-params", "scenecut=0:open-gop=0",
                "-force_key_frames", "source", "-bf", "0",
                # One output picture per source picture, as the ladder makes: ffmpeg would
                # otherwise repeat the first to fill the source's B-frame delay.
                "-fps_mode", "passthrough", str(outputs[i])]
    return cmd


def ffmpeg_run(work, fixture, args, one_thread=False):
    name = "ffmpeg1" if one_thread else "ffmpeg"
    outputs = [work / f"{name}_{h}p.mp4" for _, h, _ in RUNGS]
    cmd = ffmpeg_command(fixture, outputs, args.seconds, one_thread)
    log = open(work / f"{name}-ladder.log", "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    lb.children.append(proc)
    cores = measure(proc.pid, args.warmup, args.window)
    proc.wait(args.seconds + 60)
    log.close()
    return cores, outputs, cmd


def psnr(rendition, fixture, width, height, pictures):
    """(luma, average) PSNR in dB of `rendition` against the source scaled to its size.
    Pictures are paired by their place in the sequence: both make one picture per
    source picture, and their timestamps do not line up (the source starts at its
    B-frame delay, ffmpeg's MP4 rounds to its own timescale). Both sides are
    renumbered in one time base of 1/30 s: N/30 written in each input's own time
    base (1/1000 for the FLV, 1/15360 for ffmpeg's MP4) rounds differently, and
    the psnr filter, which pairs by timestamp, then paired a few pictures with
    their neighbours (23 dB instead of 44), which cost ffmpeg's rows 1.5 dB.
    Only the first `pictures` count: the publisher's cut at the show's end
    leaves out the last B-frames, so the ladder's last picture or two are not
    the source's next ones."""
    trim = f"settb=1/30,setpts=N,trim=end_frame={pictures}"
    graph = (f"[1:v]scale={width}:{height}:flags=bicubic,{trim}[ref];"
             f"[0:v]{trim}[dist];[dist][ref]psnr=shortest=1")
    out = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-i", str(rendition), "-i", str(fixture),
                          "-lavfi", graph, "-f", "null", "-"], capture_output=True, text=True)
    m = re.search(r"PSNR y:([0-9.]+) .*average:([0-9.]+)", out.stderr)
    if not m:
        sys.exit(f"no PSNR for {rendition}:\n{out.stderr[-2000:]}")
    return float(m.group(1)), float(m.group(2))


def picture_digests(rendition):
    """The MD5 of each decoded picture of `rendition`'s video, in order."""
    out = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(rendition),
                          "-map", "0:v:0", "-f", "framemd5", "-"], capture_output=True, text=True, check=True)
    return [line.rsplit(",", 1)[1].strip() for line in out.stdout.splitlines() if not line.startswith("#")]


def same_pictures(ours, theirs, pictures):
    """How many of the first `pictures` pictures are bit for bit the same, in order."""
    a, b = picture_digests(ours)[:pictures], picture_digests(theirs)[:pictures]
    return sum(1 for x, y in zip(a, b) if x == y), min(len(a), len(b))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=60, help="length of each show")
    parser.add_argument("--warmup", type=int, default=10, help="seconds before the CPU window")
    parser.add_argument("--window", type=int, default=40, help="seconds of the CPU window")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--rounds", type=int, default=3, help="times the four runs are repeated")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="looplive-ladder-bench-"))
    work.chmod(0o755)  # PostgreSQL runs as its own user below it
    fixture = work / "show_720p30.flv"
    make_fixture(fixture, "1280x720", 30, "3000k", args.seconds + 5)
    rounds = []
    try:
        for n in range(args.rounds):
            round_work = work / f"round{n + 1}"
            round_work.mkdir()
            plain, _ = looplive_run(round_work / "plain", fixture, args, ladder=False)
            laddered, rung_playlists = looplive_run(round_work / "ladder", fixture, args, ladder=True)
            reference, outputs, cmd = ffmpeg_run(round_work, fixture, args)
            single, single_outputs, single_cmd = ffmpeg_run(round_work, fixture, args, one_thread=True)
            rounds.append((plain, laddered - plain, reference, single))
            print(f"round {n + 1}: ladder {laddered - plain:.3f} cores, ffmpeg {reference:.3f}, "
                  f"ffmpeg 1 thread {single:.3f}", file=sys.stderr)
        rows = []
        pictures = (args.seconds - 1) * 30  # all but the show's last second
        for i, (w, h, kbits) in enumerate(RUNGS):
            ours = psnr(rung_playlists[i], fixture, w, h, pictures)
            theirs = psnr(outputs[i], fixture, w, h, pictures)
            single_theirs = psnr(single_outputs[i], fixture, w, h, pictures)
            rows.append((f"{h}p @ {kbits}k", ours, theirs, single_theirs,
                         same_pictures(rung_playlists[i], outputs[i], pictures),
                         same_pictures(rung_playlists[i], single_outputs[i], pictures)))
    finally:
        for proc in lb.children:
            lb.stop_process(proc)
        if not args.keep:
            subprocess.run(["rm", "-rf", str(work)])
    plain, cost, reference, single = (statistics.median(r[i] for r in rounds) for i in range(4))
    print(f"Source: 720p30 H.264 3 Mbit/s with B-frames, {args.seconds} s published in real time; "
          f"CPU over {args.window} s; medians of {args.rounds} rounds.\n")
    print("| measure | looplive | ffmpeg | looplive / ffmpeg | ffmpeg, 1 thread | looplive / that |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(f"| CPU, source only (packaging, recording) | {plain:.3f} cores | | | | |")
    for n, (_, c, r, s1) in enumerate(rounds):
        print(f"| CPU of the ladder (480p + 360p), round {n + 1} | {c:.3f} cores | {r:.3f} cores | "
              f"{c / r:.2f} | {s1:.3f} cores | {c / s1:.2f} |")
    print(f"| **CPU of the ladder, median** | {cost:.3f} cores | {reference:.3f} cores | "
          f"**{cost / reference:.2f}** | {single:.3f} cores | **{cost / single:.2f}** |")
    for name, ours, theirs, single_theirs, same, single_same in rows:
        print(f"| PSNR {name}, luma / average | {ours[0]:.2f} / {ours[1]:.2f} dB | "
              f"{theirs[0]:.2f} / {theirs[1]:.2f} dB | {ours[1] - theirs[1]:+.2f} dB | "
              f"{single_theirs[0]:.2f} / {single_theirs[1]:.2f} dB | "
              f"{ours[1] - single_theirs[1]:+.2f} dB |")
        print(f"| {name}: pictures the same bit for bit as ffmpeg's | | {same[0]} of {same[1]} | | "
              f"{single_same[0]} of {single_same[1]} | |")
    print("\nffmpeg: " + " ".join(cmd))
    print("\nffmpeg, 1 thread: " + " ".join(single_cmd))


if __name__ == "__main__":
    main()
